"""The JSON of a question and its answer, with citations and district lines."""

from __future__ import annotations

from pydantic import BaseModel, Field

from indexer.types import Answer
from service.search import QUERY_PATTERN

from .convert import from_attributes
from .search import SearchResult, search_result


class CitationOut(BaseModel):
    """A verbatim quote; the cleaned document's text between ``start`` and ``end`` equals ``quote``."""

    id: int
    chunk_id: str
    doc_id: str
    title: str
    districts: list[str]
    section: str
    quote: str
    start: int
    end: int
    page: int | None


class DistrictOut(BaseModel):
    """One line of a list answer (a district or an actor)."""

    name: str
    citations: list[int]
    involvement: str = Field(description="har, kommer att, planerar or nämner")


class AskRequest(BaseModel):
    """A question, optionally limited to one district."""

    # The pattern is enforced by the route and the searcher, with their own Swedish messages.
    question: str = Field(min_length=1, max_length=2000, json_schema_extra={"pattern": QUERY_PATTERN})
    district: str | None = Field(None, max_length=100, description="An unknown district is 404.")


class AskQuery(AskRequest):
    """A question with the filters the web page offers besides the district."""

    doc: str | None = Field(None, max_length=200, description="Answer only from this document id (unknown: 404).")
    year: int | None = Field(None, ge=1000, le=9999, description="Answer only from documents covering this year.")


class ComparisonLink(BaseModel):
    """The two versions of a report a what-is-new answer compares."""

    earlier: str
    later: str


class AskResponse(BaseModel):
    """An answer whose every claim cites a passage; ``supported`` is false when it abstains."""

    question: str
    answer: str
    supported: bool
    citations: list[CitationOut]
    districts: list[DistrictOut]
    actors: list[DistrictOut] = Field(
        default_factory=list, description="The lines of a list of actors (organisations, authorities); involvement is nämner."
    )
    gaps: list[str] = Field(
        default_factory=list, description="What the question asks that the documents lack (a year, a district, an amount)."
    )
    asked: str = Field("fact", description="What the question asks for: fact, number, date, district_list, actor_list, change, ...")
    related: list[SearchResult] = Field(default_factory=list, description="Nearest passages when abstaining.")
    generator: str = "extractive"
    notes: list[str] = Field(default_factory=list)
    signature: str | None = Field(
        None,
        description="What the review API needs to judge this answer (docs/reviews.md): the service's "
        "signature of it; null when the review database is not open.",
    )
    comparison: ComparisonLink | None = Field(
        None, description="For a what-is-new answer: the two versions compared (the page links to the comparison)."
    )


def ask_response(answer: Answer) -> AskResponse:
    """The JSON form of an answer."""
    comparison = ComparisonLink(earlier=answer.comparison[0], later=answer.comparison[1]) if answer.comparison else None
    return from_attributes(
        AskResponse, answer, answer=answer.text, related=[search_result(p) for p in answer.related], comparison=comparison
    )
