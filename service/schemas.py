"""The JSON the service speaks (API and `--json` alike), separate from the internal types."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from indexer.types import Answer, Document, Passage


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


# The HTTP API's own request and response models (service/api).


class AskQuery(AskRequest):
    """A question with the filters the web page offers besides the district."""

    doc: str | None = Field(None, max_length=200, description="Answer only from this document id.")
    year: int | None = Field(None, ge=1000, le=9999, description="Answer only from documents covering this year.")


class ErrorResponse(BaseModel):
    """Every error the API returns: one Swedish sentence for the person who sent the request."""

    detail: str


class HealthResponse(BaseModel):
    """Whether the service has a loaded index, and which one."""

    status: Literal["ok", "error"]
    index_loaded: bool
    documents: int
    chunks: int
    embedder: str = Field(description="The loaded index's embedder, or the configured one when none is loaded.")
    build: str | None = Field(description="The build id of the loaded index.")
    message: str | None = Field(None, description="Why the index is not loaded (Swedish, then the English cause).")


class DistrictInfo(BaseModel):
    """A district of the gazetteer."""

    name: str
    region: str
    places: list[str]


class DocumentSummary(BaseModel):
    """An indexed document, as listed."""

    doc_id: str
    title: str
    organisation: str | None
    doc_type: str
    year: int | None
    period: str | None
    districts: list[str]
    chunks: int
    family: str | None = Field(None, description="The report family: versions of one report share it.")
    versions: list[str] = Field(
        default_factory=list, description="Every version of this report by id, earliest first, this one included."
    )


class SectionOut(BaseModel):
    """A section of a document; ``start``/``end`` are offsets into the cleaned text."""

    path: list[str]
    start: int
    end: int


class PageOut(BaseModel):
    """Where one page of the source lies in the cleaned text."""

    number: int
    start: int
    end: int


class PassageRange(BaseModel):
    """The text between two offsets of a document's cleaned text."""

    start: int
    end: int
    text: str


class DocumentDetail(DocumentSummary):
    """A document's cleaned text (the text every offset points into), its structure and its pages."""

    text: str
    sections: list[SectionOut]
    pages: list[PageOut]
    passage: PassageRange | None = Field(None, description="The requested range, when ?start=&end= are given.")


def document_summary(document: Document, chunks: int) -> DocumentSummary:
    """The JSON form of a document, as listed."""
    return DocumentSummary(
        doc_id=document.doc_id,
        title=document.title,
        organisation=document.organisation,
        doc_type=document.doc_type,
        year=document.year,
        period=document.period,
        districts=list(document.districts),
        chunks=chunks,
    )


def document_detail(document: Document, chunks: int, passage: tuple[int, int] | None = None) -> DocumentDetail:
    """The JSON form of a document with its text, and the ``passage`` range's text when one is given."""
    return DocumentDetail(
        **document_summary(document, chunks).model_dump(),
        text=document.text,
        sections=[SectionOut(path=list(s.path), start=s.start, end=s.end) for s in document.sections],
        pages=[PageOut(number=p.number, start=p.start, end=p.end) for p in document.pages],
        passage=PassageRange(start=passage[0], end=passage[1], text=document.text[passage[0] : passage[1]]) if passage else None,
    )


# The research tools' JSON (service/coverage.py, versions.py, similar.py); the imports belong at the top.

from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:
    from indexer.types import Citation

    from .coverage import Coverage
    from .versions import Comparison, SentenceRef, WhatsNew


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


class SimilarResponse(BaseModel):
    """Passages similar to one passage, from other documents (and by default other districts)."""

    chunk_id: str
    results: list[SearchResult]


def _citation_out(citation: Citation) -> CitationOut:
    return CitationOut(
        id=citation.id,
        chunk_id=citation.chunk_id,
        doc_id=citation.doc_id,
        title=citation.title,
        districts=list(citation.districts),
        section=citation.section,
        quote=citation.quote,
        start=citation.start,
        end=citation.end,
        page=citation.page,
    )


def _sentence_out(ref: SentenceRef) -> SentenceOut:
    return SentenceOut(doc_id=ref.doc_id, section=ref.section, text=ref.text, start=ref.start, end=ref.end, page=ref.page)


def coverage_response(table: Coverage) -> CoverageResponse:
    """The JSON form of a coverage table."""
    return CoverageResponse(
        query=table.query,
        threshold=table.threshold,
        year_from=table.year_from,
        year_to=table.year_to,
        rows=[
            CoverageRowOut(
                name=row.name,
                kind=row.kind,
                status=row.status,
                involvement=row.involvement,
                best_score=row.best_score,
                evidence=[
                    EvidenceOut(
                        **_citation_out(e.citation).model_dump(),
                        score=e.score,
                        involvement=e.involvement,
                        anchored=e.anchored,
                    )
                    for e in row.evidence
                ],
            )
            for row in table.rows
        ],
    )


def comparison_response(comparison: Comparison) -> ComparisonResponse:
    """The JSON form of a comparison of two versions."""
    return ComparisonResponse(
        doc_a=comparison.doc_a,
        doc_b=comparison.doc_b,
        title_a=comparison.title_a,
        title_b=comparison.title_b,
        sections=[
            SectionChangeOut(
                status=change.status,
                section_a=change.section_a,
                section_b=change.section_b,
                added=[_sentence_out(r) for r in change.added],
                removed=[_sentence_out(r) for r in change.removed],
            )
            for change in comparison.sections
        ],
    )


def whats_new_response(new: WhatsNew) -> WhatsNewResponse:
    """The JSON form of what a report's latest version adds."""
    return WhatsNewResponse(
        family=new.family, latest=new.latest, previous=new.previous, added=[_sentence_out(r) for r in new.added]
    )


def similar_response(chunk_id: str, passages: list[Passage]) -> SimilarResponse:
    """The JSON form of a more-like-this list."""
    return SimilarResponse(chunk_id=chunk_id, results=[search_result(p) for p in passages])
