"""The JSON the service speaks (API and `--json` alike), separate from the internal types."""

from __future__ import annotations

from pydantic import BaseModel, Field

from indexer.types import Answer, Passage


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
    """One line of a list answer."""

    name: str
    citations: list[int]
    involvement: str = Field(description="har, kommer att, planerar or nämner")


class AskRequest(BaseModel):
    """A question, optionally limited to one district."""

    question: str = Field(min_length=1, max_length=2000)
    district: str | None = Field(None, max_length=100)


class AskResponse(BaseModel):
    """An answer whose every claim cites a passage; ``supported`` is false when it abstains."""

    question: str
    answer: str
    supported: bool
    citations: list[CitationOut]
    districts: list[DistrictOut]
    related: list[SearchResult] = Field(default_factory=list, description="Nearest passages when abstaining.")
    generator: str = "extractive"
    notes: list[str] = Field(default_factory=list)


def search_result(passage: Passage) -> SearchResult:
    """The JSON form of a passage."""
    chunk = passage.chunk
    return SearchResult(
        rank=passage.rank,
        score=round(passage.score, 6),
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        title=passage.title,
        districts=list(chunk.districts),
        section=chunk.section,
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        page=chunk.page,
        also_in=list(passage.also_in),
    )


def search_response(query: str, mode: str, passages: list[Passage]) -> SearchResponse:
    """The JSON form of a search."""
    return SearchResponse(query=query, mode=mode, results=[search_result(p) for p in passages])


def ask_response(answer: Answer) -> AskResponse:
    """The JSON form of an answer."""
    return AskResponse(
        question=answer.question,
        answer=answer.text,
        supported=answer.supported,
        citations=[
            CitationOut(
                id=c.id,
                chunk_id=c.chunk_id,
                doc_id=c.doc_id,
                title=c.title,
                districts=list(c.districts),
                section=c.section,
                quote=c.quote,
                start=c.start,
                end=c.end,
                page=c.page,
            )
            for c in answer.citations
        ],
        districts=[DistrictOut(name=d.name, citations=list(d.citations), involvement=d.involvement) for d in answer.districts],
        related=[search_result(p) for p in answer.related],
        generator=answer.generator,
        notes=list(answer.notes),
    )
