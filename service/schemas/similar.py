"""The JSON of more like this (``service.similar``)."""

from __future__ import annotations

from pydantic import BaseModel

from indexer.types import Passage

from .search import SearchResult, search_result


class SimilarResponse(BaseModel):
    """Passages similar to one passage, from other documents (and by default other districts)."""

    chunk_id: str
    results: list[SearchResult]


def similar_response(chunk_id: str, passages: list[Passage]) -> SimilarResponse:
    """The JSON form of a more-like-this list."""
    return SimilarResponse(chunk_id=chunk_id, results=[search_result(p) for p in passages])
