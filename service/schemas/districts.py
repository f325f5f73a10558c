"""The JSON of the gazetteer's districts."""

from __future__ import annotations

from pydantic import BaseModel


class DistrictInfo(BaseModel):
    """A district of the gazetteer."""

    name: str
    region: str
    places: list[str]
