"""The JSON of the indexed documents: as listed, and one with its cleaned text and structure."""

from __future__ import annotations

from pydantic import BaseModel, Field

from indexer.types import Document

from .convert import from_attributes


class DocumentSummary(BaseModel):
    """An indexed document, as listed."""

    doc_id: str
    source: str = Field(description="The original file, relative to the corpus folder (served at .../original).")
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
    return from_attributes(DocumentSummary, document, chunks=chunks)


def document_detail(document: Document, chunks: int, passage: tuple[int, int] | None = None) -> DocumentDetail:
    """The JSON form of a document with its text, and the ``passage`` range's text when one is given."""
    requested = None
    if passage:
        start, end = passage
        requested = PassageRange(start=start, end=end, text=document.text[start:end])
    return from_attributes(DocumentDetail, document, chunks=chunks, passage=requested)
