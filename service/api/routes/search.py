"""GET /api/search: the passages of a search, exactly as ``stadshus search --json`` prints them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.schemas.search import SearchResponse, search_response
from service.search import SearchMode

from ..deps import EngineDep, FiltersDep, PassageCount, QueryDep
from ..errors import FILTER_RESPONSES

router = APIRouter(prefix="/api", tags=["sök"])


@router.get("/search", response_model=SearchResponse, responses=FILTER_RESPONSES)
def search(
    engine: EngineDep,
    q: QueryDep,
    filters: FiltersDep,
    k: PassageCount = 10,
    mode: Annotated[SearchMode, Query(description="hybrid, dense or bm25.")] = SearchMode.hybrid,
) -> SearchResponse:
    """The ``k`` best passages for ``q``, best first."""
    passages = engine.searcher.search(q, k, mode, filters)
    return search_response(q, mode.value, passages)
