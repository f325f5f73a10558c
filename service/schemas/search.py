"""The JSON of a search: ranked passages."""

from __future__ import annotations

from pydantic import BaseModel, Field

from indexer.types import Passage

from .convert import from_attributes


class SearchResult(BaseModel):
    """One passage of a search; ``text`` is exactly the cleaned document between ``start`` and ``end``."""

    rank: int
    score: float
    chunk_id: str
    doc_id: str
    title: str
    districts: list[str]
    section: str
    text: str
    start: int
    end: int
    page: int | None
    also_in: list[str] = Field(description="Other documents holding a near-identical passage.")


class SearchResponse(BaseModel):
    """The result list of a search."""

    query: str
    mode: str
    results: list[SearchResult]


def search_result(passage: Passage) -> SearchResult:
    """The JSON form of a passage."""
    return from_attributes(SearchResult, passage.chunk, passage, score=round(passage.score, 6))


def search_response(query: str, mode: str, passages: list[Passage]) -> SearchResponse:
    """The JSON form of a search."""
    return SearchResponse(query=query, mode=mode, results=[search_result(p) for p in passages])
