"""Versions of one report (T1 and T2 of a follow-up report) and what changed between them.

Documents are versions of one report when they share organisation, title (without tertial and version
words) and years. Two versions are compared section by section: sections are aligned by their heading
paths, matched loosely because a PDF writes ”quotes” where the Word file wrote "quotes", and within each
pair the sentences are compared after folding case, whitespace, quotes, dashes, line-end hyphenation and
form boilerplate, so that how a file was extracted never shows up as a change.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Protocol, TypeVar

from rapidfuzz import fuzz

from indexer.cleaning import BOILERPLATE, INLINE_BREAK
from indexer.filtering import document_years
from indexer.sentences import sentence_spans
from indexer.storage import StoredIndex
from indexer.types import Answer, Citation, Document, DocumentInfo, Section

from .search import Filters
from .timeline import period_start

SectionStatus = Literal["added", "removed", "changed", "unchanged"]


class Indexed(Protocol):
    """What comparing versions reads: a loaded index (the engine, or the answerer, has one)."""

    index: StoredIndex


# A document or only its metadata (a Document is a DocumentInfo): version families need the metadata alone.
Described = TypeVar("Described", bound=DocumentInfo)
FOLD = str.maketrans({"”": '"', "“": '"', "„": '"', "«": '"', "»": '"', "’": "'", "‘": "'", "`": "'",
                      "–": "-", "—": "-", "‐": "-", "‑": "-", "\u00ad": None})
# Words that tell versions of one report apart: "tertialrapport 2", "T2", "version 3", "reviderad".
VERSION_WORDS = re.compile(
    r"\b(?:tertial(?:rapport)?(?:\s*\d)?|t\d|version\s*\d+|v\d+|rev(?:iderad|ision)?(?:\s*\d+)?|uppdaterad|"
    r"utkast|slutlig|kvartal(?:srapport)?(?:\s*\d)?|q\d)\b",
    re.IGNORECASE,
)
TRAILING_PARENTHESIS = re.compile(r"\s*\([^()]*\)\s*$")
EMPTY_PARENTHESES = re.compile(r"\(\s*\)")
SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?)])")
# Heading paths match when every level is at least this similar (rapidfuzz ratio, 0..100).
HEADING_SIMILARITY = 85.0


class UnknownDocument(KeyError):
    """A document id the index does not hold; the message is Swedish."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NoEarlierVersion(LookupError):
    """A document with no earlier version in the index; the message is Swedish."""


@dataclass(frozen=True, slots=True)
class SentenceRef:
    """A sentence of one document, located by offsets in its cleaned text."""

    doc_id: str
    section: str
    text: str
    start: int
    end: int
    page: int | None


@dataclass(frozen=True, slots=True)
class SectionChange:
    """One section of the comparison: aligned in both documents, or only in one of them.

    ``added`` holds sentences of the later document found nowhere in the earlier one, ``removed`` the
    reverse; a sentence that only moved to another section is in neither.
    """

    status: SectionStatus
    section_a: str | None
    section_b: str | None
    added: tuple[SentenceRef, ...] = ()
    removed: tuple[SentenceRef, ...] = ()
    #: Where the section's body lies in each document's cleaned text (start, end), when it has the section.
    span_a: tuple[int, int] | None = None
    span_b: tuple[int, int] | None = None

    @property
    def title(self) -> str:
        """The section's heading path, as the later document writes it when it has the section."""
        return self.section_b if self.section_b is not None else self.section_a or ""


@dataclass(frozen=True, slots=True)
class Comparison:
    """Section-by-section differences between ``doc_a`` (earlier) and ``doc_b`` (later)."""

    doc_a: str
    doc_b: str
    title_a: str
    title_b: str
    sections: tuple[SectionChange, ...]

    @property
    def changed(self) -> tuple[SectionChange, ...]:
        """Sections that are not unchanged."""
        return tuple(s for s in self.sections if s.status != "unchanged")

    @property
    def only_in_a(self) -> tuple[SectionChange, ...]:
        """Sections of ``doc_a`` with no counterpart in ``doc_b``."""
        return tuple(s for s in self.sections if s.status == "removed")

    @property
    def only_in_b(self) -> tuple[SectionChange, ...]:
        """Sections of ``doc_b`` with no counterpart in ``doc_a``."""
        return tuple(s for s in self.sections if s.status == "added")

    @property
    def added(self) -> tuple[SentenceRef, ...]:
        """Every added sentence, in the later document's order."""
        return tuple(sorted((r for s in self.sections for r in s.added), key=lambda r: r.start))


@dataclass(frozen=True, slots=True)
class WhatsNew:
    """What the latest version of a report adds to the version before it."""

    family: str
    latest: str
    previous: str
    comparison: Comparison

    @property
    def added(self) -> tuple[SentenceRef, ...]:
        """The sentences of the latest version that the previous one does not have."""
        return self.comparison.added


# Report families


def report_families(documents: Mapping[str, DocumentInfo] | Iterable[DocumentInfo]) -> dict[str, str]:
    """Each document id mapped to its report family id; versions of one report share a family.

    A family is an organisation, a title without version words and the years covered, e.g.
    ``rinkeby-kista-stadsdelsforvaltning/uppfoljningsrapport-naringsliv/2022``.
    """
    docs = documents.values() if isinstance(documents, Mapping) else documents
    return {document.doc_id: family_id(document) for document in docs}


def family_id(document: DocumentInfo) -> str:
    """The report family of one document (see ``report_families``)."""
    return _family(document.title, document.organisation, document_years(document))


# Families are looked up over every document per request (versions, more like this): normalising the
# titles each time cost 420 ms at 25,000 documents.
@lru_cache(maxsize=1 << 17)
def _family(title: str, organisation: str | None, years: tuple[int, int] | None) -> str:
    title = TRAILING_PARENTHESIS.sub("", title)
    title = " ".join(VERSION_WORDS.sub(" ", normalise(title)).split())
    period = "-" if years is None else str(years[0]) if years[0] == years[1] else f"{years[0]}-{years[1]}"
    return f"{_slug(organisation or '-')}/{_slug(title)}/{period}"


def _span(section: Section) -> tuple[int, int]:
    return section.start, section.end


def versions(documents: Mapping[str, DocumentInfo], doc_id: str) -> list[DocumentInfo]:
    """The versions of ``doc_id``'s report, earliest first (by period start, then id)."""
    document = _document(documents, doc_id)
    family = family_id(document)
    members = [d for d in documents.values() if family_id(d) == family]
    return sorted(members, key=lambda d: (period_start(d), d.doc_id))


def versioned_document(
    documents: Mapping[str, DocumentInfo], question: str, filters: Filters, districts: Iterable[str]
) -> str | None:
    """The report a question about versions is about: the document filter, a document id the question
    names, or the one report with several versions about the ``districts`` (named in the question or the
    filter)."""
    if filters.doc_ids:
        return filters.doc_ids[0] if len(filters.doc_ids) == 1 else None
    named = [doc_id for doc_id in documents if doc_id.lower() in question.lower()]
    if len(named) == 1:
        return named[0]
    wanted = set(filters.districts) | set(districts)
    if not wanted:
        return None
    families = report_families(documents)
    sizes = Counter(families.values())
    reports = {
        families[doc_id]: doc_id
        for doc_id, document in sorted(documents.items())
        if sizes[families[doc_id]] > 1 and wanted & set(document.districts)
    }
    return next(iter(reports.values())) if len(reports) == 1 else None


# Comparing two documents


def compare(engine: Indexed, doc_a: str, doc_b: str) -> Comparison:
    """Compare ``doc_a`` (the earlier version) with ``doc_b`` section by section.

    Raises ``UnknownDocument`` for an id the index does not hold.
    """
    a = _document(engine.index.documents, doc_a)
    b = _document(engine.index.documents, doc_b)
    sentences_a = {section: _sentences(a, section) for section in a.sections}
    sentences_b = {section: _sentences(b, section) for section in b.sections}
    everywhere_a = {key for refs in sentences_a.values() for key, _ in refs}
    everywhere_b = {key for refs in sentences_b.values() for key, _ in refs}
    pairs = align_sections(a.sections, b.sections)
    matched_a = {i for i, _ in pairs}
    matched_b = {j: i for i, j in pairs}
    ordered: list[tuple[tuple[float, int], SectionChange]] = []
    for j, section in enumerate(b.sections):
        mine = sentences_b[section]
        if j not in matched_b:
            added = tuple(ref for key, ref in mine if key not in everywhere_a)
            ordered.append(((j, 0), SectionChange("added", None, section.title, added=added, span_b=_span(section))))
            continue
        other = a.sections[matched_b[j]]
        theirs = sentences_a[other]
        added = tuple(ref for key, ref in mine if key not in everywhere_a)
        removed = tuple(ref for key, ref in theirs if key not in everywhere_b)
        same = [key for key, _ in theirs] == [key for key, _ in mine]
        status: SectionStatus = "unchanged" if same else "changed"
        ordered.append(
            ((j, 0), SectionChange(status, other.title, section.title, added, removed, _span(other), _span(section)))
        )
    anchor = -1.0
    position_in_b = {i: j for i, j in pairs}
    for i, section in enumerate(a.sections):
        if i in matched_a:
            anchor = position_in_b[i]
            continue
        removed = tuple(ref for key, ref in sentences_a[section] if key not in everywhere_b)
        # A section only in the earlier document is listed after the section that preceded it there.
        ordered.append(
            ((anchor + 0.5, i), SectionChange("removed", section.title, None, removed=removed, span_a=_span(section)))
        )
    ordered.sort(key=lambda pair: pair[0])
    return Comparison(a.doc_id, b.doc_id, a.title, b.title, tuple(change for _, change in ordered))


def align_sections(a: tuple[Section, ...], b: tuple[Section, ...]) -> list[tuple[int, int]]:
    """Pairs (index in ``a``, index in ``b``) of sections with matching heading paths.

    Paths match when they have the same depth and every heading is similar after normalising; the
    most similar pairs are taken first, and among equals the pair nearest in document order.
    """
    keys_a = [[_heading(h) for h in s.path] for s in a]
    keys_b = [[_heading(h) for h in s.path] for s in b]
    candidates: list[tuple[float, float, int, int]] = []
    for i, path_a in enumerate(keys_a):
        for j, path_b in enumerate(keys_b):
            if len(path_a) != len(path_b):
                continue
            similarity = min((fuzz.ratio(x, y) for x, y in zip(path_a, path_b)), default=100.0)
            if similarity >= HEADING_SIMILARITY:
                drift = abs(i / max(len(a), 1) - j / max(len(b), 1))
                candidates.append((-similarity, drift, i, j))
    pairs: list[tuple[int, int]] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    for _, _, i, j in sorted(candidates):
        if i not in used_a and j not in used_b:
            pairs.append((i, j))
            used_a.add(i)
            used_b.add(j)
    return sorted(pairs)


def normalise(text: str) -> str:
    """Text folded for comparison: case, whitespace, quotes, dashes, line-end hyphenation, form boilerplate."""
    text = " ".join(unicodedata.normalize("NFC", text).translate(FOLD).split())
    text = EMPTY_PARENTHESES.sub(" ", BOILERPLATE.sub(" ", text))
    text = INLINE_BREAK.sub(r"\1\2", " ".join(text.split()))
    return SPACE_BEFORE_PUNCTUATION.sub(r"\1", text).lower()


# What is new


def whats_new(engine: Indexed, doc_id: str) -> WhatsNew:
    """The latest version of ``doc_id``'s report compared with the version before it.

    Raises ``UnknownDocument`` for an unknown id and ``NoEarlierVersion`` for a report with one version.
    """
    members = versions(engine.index.documents.infos, doc_id)
    if len(members) < 2:
        title = engine.index.documents.infos[doc_id].title
        raise NoEarlierVersion(f"Det finns ingen annan version av ”{title}” i dokumenten att jämföra med.")
    previous, latest = members[-2], members[-1]
    return WhatsNew(family_id(latest), latest.doc_id, previous.doc_id, compare(engine, previous.doc_id, latest.doc_id))


def whats_new_answer(engine: Indexed, doc_id: str, question: str) -> Answer:
    """``whats_new`` as a cited answer: how much changed, in one sentence, with every new sentence a citation;
    the page links to the comparison (``Answer.comparison``) instead of listing them."""
    new = whats_new(engine, doc_id)
    documents = engine.index.documents.infos
    latest, previous = documents[new.latest], documents[new.previous]
    comparison = (new.previous, new.latest)
    added = new.comparison.added
    if not added:
        text = f"”{latest.title}” innehåller inga nya meningar jämfört med ”{previous.title}”."
        return Answer(question=question, text=text, supported=True, comparison=comparison)
    citations = tuple(_citation(engine, number, ref) for number, ref in enumerate(added, start=1))
    changed = [change for change in new.comparison.sections if change.added or change.removed]
    removed = sum(len(change.removed) for change in changed)
    text = (
        f"Nytt i ”{latest.title}” jämfört med ”{previous.title}”: {_count(len(added), 'ny mening', 'nya meningar')}"
        + (f" och {_count(removed, 'borttagen', 'borttagna')}" if removed else "")
        + f" i {_count(len(changed), 'avsnitt', 'avsnitt')}. Den första nya: ”{added[0].text}” [1]"
    )
    return Answer(question=question, text=text, supported=True, citations=citations, comparison=comparison)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


# Helpers


def _document(documents: Mapping[str, Described], doc_id: str) -> Described:
    if doc_id not in documents:
        raise UnknownDocument(f"Okänt dokument: {doc_id!r}. Se /api/documents för giltiga id.")
    return documents[doc_id]


def _sentences(document: Document, section: Section) -> list[tuple[str, SentenceRef]]:
    """(normalised key, sentence) for each sentence of a section's body."""
    refs = []
    for start, end in sentence_spans(document.text, section.start, section.end):
        text = document.text[start:end]
        key = normalise(text)
        if key:
            refs.append((key, SentenceRef(document.doc_id, section.title, text, start, end, document.page_at(start))))
    return refs


def _heading(heading: str) -> str:
    return " ".join(VERSION_WORDS.sub(" ", normalise(heading)).split())


def _slug(text: str) -> str:
    folded = text.lower().translate(str.maketrans("åäöéü", "aaoeu"))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "-"


def _citation(engine: Indexed, number: int, ref: SentenceRef) -> Citation:
    """A citation of a sentence, pointing at the chunk that holds its start."""
    document = engine.index.documents[ref.doc_id]
    chunk = min(
        (engine.index.chunks[p] for p in engine.index.chunks.positions_of_documents([ref.doc_id])),
        key=lambda c: (not c.start <= ref.start < c.end, abs(c.start - ref.start)),
    )
    return Citation.quoting(number, chunk, document.title, ref.start, ref.end, ref.text, ref.page)
