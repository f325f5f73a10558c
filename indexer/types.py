"""The data that flows from documents to answers, defined once.

Document -> Section -> Chunk are made by the indexer; Passage (a ranked chunk), Citation and Answer are
made by the service from them. Offsets always point into ``Document.text``, the cleaned text.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, fields
from typing import Literal


@dataclass(frozen=True, slots=True)
class PageSpan:
    """Where one page of the source lies in the cleaned text."""

    number: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the body under it, up to the next heading of the same or a higher level."""

    path: tuple[str, ...]
    start: int
    end: int
    districts: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        """This section's own heading (the last element of its path)."""
        return self.path[-1] if self.path else ""

    @property
    def title(self) -> str:
        """The section path as people read it: ``"4 Prioriterade åtgärder > 4.2 Spånga-Tensta"``."""
        return " > ".join(self.path)


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A document's metadata: what filtering, grouping and dating read, kept in memory for every document
    while texts are read on demand."""

    doc_id: str
    source: str
    title: str
    sha256: str
    organisation: str | None = None
    doc_type: str = "dokument"
    year: int | None = None
    period: str | None = None
    districts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Document(DocumentInfo):
    """A cleaned source document: its metadata, its text and the structure of the text."""

    text: str
    pages: tuple[PageSpan, ...] = ()
    sections: tuple[Section, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The page number holding ``offset`` of the cleaned text, or None for unpaginated sources."""
        if not self.pages:
            return None
        starts = [page.start for page in self.pages]
        return self.pages[max(0, bisect.bisect_right(starts, offset) - 1)].number

    @property
    def info(self) -> DocumentInfo:
        """The document's metadata without its text and structure."""
        return DocumentInfo(**{f.name: getattr(self, f.name) for f in fields(DocumentInfo)})


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of one section, bounded in tokens; ``text == document.text[start:end]``."""

    chunk_id: str
    doc_id: str
    position: int
    section: str
    context: str
    start: int
    end: int
    text: str
    page: int | None = None
    districts: tuple[str, ...] = ()

    @property
    def indexed_text(self) -> str:
        """What the embedder and BM25 see: the context line (organisation and section path), then the text."""
        return f"{self.context}\n\n{self.text}" if self.context else self.text


@dataclass(frozen=True, slots=True)
class Passage:
    """A chunk as returned by a search, with its rank, score and the other documents it also occurs in."""

    chunk: Chunk
    title: str
    score: float
    rank: int
    also_in: tuple[str, ...] = ()


Involvement = Literal["har", "planerar", "kommer att", "nämner"]


@dataclass(frozen=True, slots=True)
class Citation:
    """A verbatim quote of a passage, located by offsets in its document's cleaned text."""

    id: int
    chunk_id: str
    doc_id: str
    title: str
    districts: tuple[str, ...]
    section: str
    quote: str
    start: int
    end: int
    page: int | None

    @classmethod
    def quoting(
        cls, number: int, chunk: Chunk, title: str, start: int, end: int, quote: str, page: int | None
    ) -> Citation:
        """Citation ``number`` of ``quote`` (the cleaned document's text from ``start`` to ``end``) in ``chunk``."""
        return cls(number, chunk.chunk_id, chunk.doc_id, title, chunk.districts, chunk.section, quote, start, end, page)


@dataclass(frozen=True, slots=True)
class DistrictFinding:
    """One line of a list answer: a district (or organisation), how it is involved, and its citations."""

    name: str
    citations: tuple[int, ...]
    involvement: Involvement = "nämner"


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer whose every claim cites a passage; ``supported`` is False when it abstains.

    ``districts`` and ``actors`` are the lines of a list answer; ``gaps`` name what the question asked that
    the documents do not give (a year, a district, an amount), said plainly in the text; ``asked`` is what
    the question was read as asking (``service.analysis.Asked``).
    """

    question: str
    text: str
    supported: bool
    citations: tuple[Citation, ...] = ()
    districts: tuple[DistrictFinding, ...] = ()
    actors: tuple[DistrictFinding, ...] = ()
    gaps: tuple[str, ...] = ()
    asked: str = "fact"
    related: tuple[Passage, ...] = ()
    generator: str = "extractive"
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: The earlier and later document a what's-new answer compares (the page links to the comparison).
    comparison: tuple[str, str] | None = None
