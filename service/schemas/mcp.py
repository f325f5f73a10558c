"""The results of the MCP server's tools (``service.mcp_server``): every quote carries its full citation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field

from indexer.types import DocumentInfo
from service.links import original_link, quote_link


class SourceCitation(BaseModel):
    """A verbatim quote and where it stands: the cleaned document's text between ``start`` and ``end``
    equals ``quote``; ``link`` opens it highlighted on the web page, ``original`` is the source file."""

    doc_id: str
    title: str
    organisation: str | None
    year: int | None
    period: str | None
    section: str
    page: int | None
    start: int
    end: int
    quote: str
    link: str = Field(description="The quote highlighted in its document on the web page.")
    original: str = Field(description="The original file (a PDF opens at the page).")


class NumberedCitation(SourceCitation):
    """A citation an answer or a table refers to by number ("[1]")."""

    id: int


class Hit(BaseModel):
    """One passage of a search, best first."""

    rank: int
    score: float
    districts: list[str]
    citation: SourceCitation


class SearchResult(BaseModel):
    """The passages of a search; none when nothing in the documents is near enough the query."""

    query: str
    total: int = Field(description="Hits that pass the relevance floor, of which the first k are given.")
    results: list[Hit]


class DistrictLine(BaseModel):
    """One line of a list answer: a district, how it is involved, the citations that show it."""

    name: str
    involvement: str = Field(description="har, kommer att, planerar or nämner")
    citations: list[int]


class AskResult(BaseModel):
    """An answer whose every claim cites a numbered quote; ``supported`` is false when it abstains."""

    question: str
    answer: str
    supported: bool
    districts: list[DistrictLine]
    citations: list[NumberedCitation]
    notes: list[str]
    compare: str | None = Field(None, description="For a what-is-new answer: the comparison on the web page.")


class CoverageLine(BaseModel):
    """One district or city-wide organisation of a coverage table."""

    name: str
    kind: Literal["district", "organisation"]
    status: Literal["evidence", "no evidence found"]
    involvement: str | None
    best_score: float
    citations: list[NumberedCitation]


class CoverageResult(BaseModel):
    """A topic across every district and city-wide organisation."""

    topic: str
    threshold: float
    rows: list[CoverageLine]


class SectionDifference(BaseModel):
    """A section that differs between the versions; its added and removed sentences, each cited."""

    status: Literal["added", "removed", "changed"]
    section_earlier: str | None
    section_later: str | None
    added: list[SourceCitation]
    removed: list[SourceCitation]


class CompareResult(BaseModel):
    """What changed from an earlier to a later version of a report, section by section."""

    earlier: str
    later: str
    title_earlier: str
    title_later: str
    unchanged_sections: int
    sections: list[SectionDifference]
    link: str = Field(description="The comparison side by side on the web page.")


class DocumentSpan(BaseModel):
    """A span of a document's cleaned text, with its citation."""

    doc_id: str
    length: int = Field(description="Characters in the whole cleaned text; spans end at most here.")
    sections: list[str] = Field(description="Heading paths of the sections the span overlaps.")
    citation: SourceCitation


class DocumentEntry(BaseModel):
    """An indexed document, as the tools name it."""

    doc_id: str
    title: str
    organisation: str | None
    doc_type: str
    year: int | None
    period: str | None
    districts: list[str]
    versions: list[str] = Field(description="Every version of this report, earliest first (compare takes two).")


class DocumentList(BaseModel):
    """Every indexed document."""

    documents: list[DocumentEntry]


def source_citation(
    infos: Mapping[str, DocumentInfo], base: str, doc_id: str, section: str, page: int | None, start: int, end: int, quote: str
) -> SourceCitation:
    """The citation of ``quote`` (``doc_id``'s text from ``start`` to ``end``), with links starting at ``base``."""
    info = infos[doc_id]
    return SourceCitation(
        doc_id=doc_id, title=info.title, organisation=info.organisation, year=info.year, period=info.period,
        section=section, page=page, start=start, end=end, quote=quote,
        link=quote_link(base, doc_id, start, end), original=original_link(base, info, page),
    )
