"""GET /api/districts: the gazetteer's districts, for filters and for checking names."""

from __future__ import annotations

from fastapi import APIRouter

from service.schemas.districts import DistrictInfo

from ..deps import EngineDep
from ..errors import ERROR_RESPONSES

router = APIRouter(prefix="/api", tags=["stadsdelar"])


@router.get("/districts", response_model=list[DistrictInfo], responses=ERROR_RESPONSES)
def districts(engine: EngineDep) -> list[DistrictInfo]:
    """Stockholm's districts, in gazetteer order, with the places that lie in each."""
    return [
        DistrictInfo(name=d.name, region=d.region, places=list(d.places)) for d in engine.gazetteer.districts
    ]
