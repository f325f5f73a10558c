"""GET /api/coverage: one topic across every district and city-wide organisation, with evidence or not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service.coverage import Coverage, coverage
from service.schemas.coverage import CoverageResponse, coverage_response

from ..deps import EngineDep, QueryDep
from ..errors import ERROR_RESPONSES

router = APIRouter(prefix="/api", tags=["översikt"])


def coverage_table(
    engine: EngineDep,
    q: QueryDep,
    year_from: Annotated[int | None, Query(ge=1000, le=9999, description="Only documents covering this year or later.")] = None,
    year_to: Annotated[int | None, Query(ge=1000, le=9999, description="Only documents covering this year or earlier.")] = None,
) -> Coverage:
    """The coverage table of the request's topic and years (shared by the JSON route and its export)."""
    return coverage(engine, q, year_from, year_to)


CoverageDep = Annotated[Coverage, Depends(coverage_table)]


@router.get("/coverage", response_model=CoverageResponse, responses=ERROR_RESPONSES)
def get_coverage(table: CoverageDep) -> CoverageResponse:
    """Every district, then every city-wide organisation: evidence that it works with ``q`` (quotes, how,
    best score) or "no evidence found" with the best score seen."""
    return coverage_response(table)
