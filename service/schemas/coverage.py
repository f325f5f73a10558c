"""The JSON of a coverage table (``service.coverage``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from .ask import CitationOut
from .convert import from_attributes

if TYPE_CHECKING:
    from service.coverage import Coverage


class EvidenceOut(CitationOut):
    """A quote supporting a coverage row, with its sentence score and the involvement it shows."""

    score: float = Field(description="Share of the topic's weighted terms the sentence holds (0-1).")
    involvement: str = Field(description="har, kommer att, planerar or nämner")
    anchored: bool = Field(description="Holds the topic's most specific word: evidence even under the threshold.")


class CoverageRowOut(BaseModel):
    """One district or city-wide organisation of a coverage table."""

    name: str
    kind: Literal["district", "organisation"]
    status: Literal["evidence", "no evidence found"]
    involvement: str | None = Field(description="The strongest involvement found; null without evidence.")
    best_score: float = Field(description="Best sentence score seen for this row, also when under the threshold.")
    evidence: list[EvidenceOut]


class CoverageResponse(BaseModel):
    """A topic across every district and city-wide organisation."""

    query: str
    threshold: float
    year_from: int | None
    year_to: int | None
    rows: list[CoverageRowOut]


def coverage_response(table: Coverage) -> CoverageResponse:
    """The JSON form of a coverage table; each quote's citation fields stand beside its score."""
    rows = [
        from_attributes(CoverageRowOut, row, evidence=[from_attributes(EvidenceOut, e.citation, e) for e in row.evidence])
        for row in table.rows
    ]
    return from_attributes(CoverageResponse, table, rows=rows)
