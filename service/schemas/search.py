"""The JSON of a search: ranked passages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from indexer.types import DocumentInfo, Passage

from .convert import from_attributes

if TYPE_CHECKING:
    from service.results import ResultPage


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


class SearchHit(SearchResult):
    """A passage of a search page, with what shows why it matched and where it comes from."""

    highlights: list[tuple[int, int]] = Field(
        description="Offsets into ``text`` of the words that match the query (stems, variants, compound parts)."
    )
    dense: float = Field(description="Dense similarity to the query (the relevance floor reads it).")
    organisation: str | None
    year: int | None
    period: str | None


class DistrictCount(BaseModel):
    """How many hits of a search are about a district."""

    name: str
    count: int


class YearCount(BaseModel):
    """How many hits of a search come from documents covering a year."""

    year: int
    count: int


class Facets(BaseModel):
    """Counts over every hit of a search that passes the relevance floor, not only the page shown."""

    districts: list[DistrictCount]
    years: list[YearCount]


class SearchResponse(BaseModel):
    """One page of the hits of a search that pass the relevance floor; ``total`` counts them all."""

    query: str
    mode: str
    total: int = Field(description="Hits that pass the relevance floor (at most the configured maximum, 100).")
    offset: int
    results: list[SearchHit]
    facets: Facets


def search_result(passage: Passage) -> SearchResult:
    """The JSON form of a passage."""
    return from_attributes(SearchResult, passage.chunk, passage, score=round(passage.score, 6))


def search_response(mode: str, page: ResultPage, infos: Mapping[str, DocumentInfo]) -> SearchResponse:
    """The JSON form of a page of search results; ``infos`` give each hit's organisation and years."""
    results = [
        from_attributes(
            SearchHit, hit.passage.chunk, hit.passage, infos[hit.passage.chunk.doc_id],
            score=round(hit.passage.score, 6), highlights=list(hit.highlights), dense=hit.dense,
        )
        for hit in page.hits
    ]
    facets = Facets(
        districts=[DistrictCount(name=name, count=count) for name, count in page.districts.items()],
        years=[YearCount(year=year, count=count) for year, count in page.years.items()],
    )
    return SearchResponse(query=page.query, mode=mode, total=page.total, offset=page.offset, results=results, facets=facets)
