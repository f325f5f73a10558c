"""The JSON of the report-version tools (``service.versions``): comparisons and what is new."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from service.versions import Comparison, WhatsNew


class SentenceOut(BaseModel):
    """A sentence of a document; the cleaned text between ``start`` and ``end`` equals ``text``."""

    doc_id: str
    section: str
    text: str
    start: int
    end: int
    page: int | None


class SectionChangeOut(BaseModel):
    """One section of a comparison of two versions."""

    status: Literal["added", "removed", "changed", "unchanged"]
    section_a: str | None = Field(description="The section's heading path in the earlier document.")
    section_b: str | None = Field(description="The section's heading path in the later document.")
    added: list[SentenceOut]
    removed: list[SentenceOut]
    span_a: tuple[int, int] | None = Field(None, description="Start and end of the section's body in the earlier document.")
    span_b: tuple[int, int] | None = Field(None, description="Start and end of the section's body in the later document.")


class ComparisonResponse(BaseModel):
    """Section-by-section differences between an earlier and a later version of a report."""

    doc_a: str
    doc_b: str
    title_a: str
    title_b: str
    sections: list[SectionChangeOut]


class WhatsNewResponse(BaseModel):
    """What the latest version of a report adds to the one before it."""

    family: str
    latest: str
    previous: str
    added: list[SentenceOut]


def comparison_response(comparison: Comparison) -> ComparisonResponse:
    """The JSON form of a comparison of two versions."""
    return ComparisonResponse.model_validate(comparison, from_attributes=True)


def whats_new_response(new: WhatsNew) -> WhatsNewResponse:
    """The JSON form of what a report's latest version adds."""
    return WhatsNewResponse.model_validate(new, from_attributes=True)
