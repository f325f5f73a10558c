"""Sentences of the cleaned documents: where each one lies, what kind of line it is, and the table a build
keeps of them (with a vector each, so that answers can weigh a sentence by meaning and not only by words).

    sentences/
      spans.npy       (n, 2) start and end of each sentence in its document's cleaned text
      documents.npy   the document of each sentence, as an index into the chunk table's documents
      sections.npy    the section of each sentence, as an index into its document's sections
      flags.npy       FRAGMENT, SHARED and FORM bits (see ``sentence_flags``)
      keys.npy        a hash of each sentence's text, to reuse its vector when re-indexing
      vectors.npy     (n, d) float16 sentence vectors, normalised (float16 halves the size; the ranking
                      of a few hundred candidates does not notice the rounding); a build on Qdrant keeps
                      them in its collection instead (indexer.qdrant_store.QdrantSentenceVectors)

Sentences are ordered by document (in the chunk table's order) and by position, so the sentences of a
passage are one slice, found by bisection.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .cleaning import DANGLING, TERMINAL
from .types import Document

TABLE_DIR = "sentences"
# A sentence ends at . ! ? : ; (and a closing quote after one) before an upper-case letter, digit, quote or dash.
SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?:;])|(?<=[.!?:;][\"”')]))\s+(?=[\"”'(A-ZÅÄÖ0-9•–-])")
PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]+)*")
# A paragraph this long that ends without a full stop, on a word no sentence ends with or before a
# lower-case word, was cut by a page break, not finished.
RUNNING_TEXT = 80
# Full stops that end no sentence: common abbreviations.
ABBREVIATION = re.compile(r"\b(?:t\.ex|bl\.a|m\.m|m\.fl|s\.k|p\.g\.a|t\.o\.m|fr\.o\.m|d\.v\.s|ca|kl|nr|resp|jfr|enl|bl\. a)\.$", re.I)
LETTER = re.compile(r"[^\W\d_]", re.UNICODE)

# What a sentence may be besides running text, as bits: a short line without a full stop (a label, a list
# item, a title the structure did not take as a heading); text found in documents of other organisations
# too (a report form's text, or one document quoting another); and the form's own instructions and labels
# (shared text that is a fragment, an instruction, or holds the trace of a removed "klicka här" field).
FRAGMENT, SHARED, FORM = 1, 2, 4
FRAGMENT_WORDS = 8
INSTRUCTION = re.compile(r"^(?:besvara|beskriv|fyll i|ange|klicka|skriv|redovisa|bifoga)\b|\(\s*\)", re.I)


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]`` as offsets. Paragraph breaks end a sentence unless a page break
    cut it (a long paragraph ending without a full stop, on a dangling word or before a lower-case one);
    line breaks inside a sentence never do; abbreviations ("t.ex.") do not end one."""
    paragraphs: list[list[int]] = []
    for match in PARAGRAPH.finditer(text, start, end):
        span = [match.start(), match.end()]
        if paragraphs and _cut_by_page_break(text[paragraphs[-1][0] : paragraphs[-1][1]], text[span[0] : span[1]]):
            paragraphs[-1][1] = span[1]
        else:
            paragraphs.append(span)
    spans: list[tuple[int, int]] = []
    for first, last in paragraphs:
        cursor = first
        for match in SENTENCE_BREAK.finditer(text, first, last):
            if ABBREVIATION.search(text, cursor, match.start()):
                continue
            spans.append((cursor, match.start()))
            cursor = match.end()
        spans.append((cursor, last))
    return [(a, b) for a, b in (_trim(text, a, b) for a, b in spans) if b > a and LETTER.search(text, a, b)]


def document_sentences(document: Document) -> list[tuple[int, int, int]]:
    """(start, end, section index) of every sentence of the document's section bodies, in text order."""
    found: list[tuple[int, int, int]] = []
    for number, section in enumerate(document.sections):
        found.extend((a, b, number) for a, b in sentence_spans(document.text, section.start, section.end))
    return sorted(found)


def is_fragment(text: str) -> bool:
    """Whether ``text`` is a short line that does not end like a sentence."""
    return len(text.split()) < FRAGMENT_WORDS and not text.rstrip().endswith(TERMINAL)


def sentence_flags(text: str, shared: bool) -> int:
    """The FRAGMENT, SHARED and FORM bits of a sentence; ``shared`` when documents of another organisation
    hold it too."""
    flags = FRAGMENT if is_fragment(text) else 0
    if shared:
        flags |= SHARED
        if flags & FRAGMENT or INSTRUCTION.search(text):
            flags |= FORM
    return flags


def text_key(text: str) -> int:
    """A 64-bit hash of a sentence's text, the key its vector is reused by."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def normalised(text: str) -> str:
    """The text folded for finding the same sentence in two documents: case and whitespace."""
    return " ".join(text.lower().split())


@dataclass(frozen=True, slots=True)
class SentenceRows:
    """The sentences of a corpus before they are stored: spans, documents, sections, flags and texts."""

    spans: np.ndarray
    documents: np.ndarray
    sections: np.ndarray
    flags: np.ndarray
    texts: list[str]

    @classmethod
    def of(cls, documents: Sequence[Document]) -> SentenceRows:
        """Every sentence of ``documents`` (in this order), flagged (``sentence_flags``)."""
        spans, owners, sections, texts = [], [], [], []
        organisations: dict[str, set[str]] = defaultdict(set)
        for number, document in enumerate(documents):
            author = document.organisation or document.doc_id
            for start, end, section in document_sentences(document):
                text = document.text[start:end]
                spans.append((start, end))
                owners.append(number)
                sections.append(section)
                texts.append(text)
                organisations[normalised(text)].add(author)
        flags = [sentence_flags(text, len(organisations[normalised(text)]) > 1) for text in texts]
        return cls(
            spans=np.array(spans, dtype=np.int64).reshape(-1, 2),
            documents=np.array(owners, dtype=np.int32),
            sections=np.array(sections, dtype=np.int32),
            flags=np.array(flags, dtype=np.int8),
            texts=texts,
        )


class SentenceVectors(Protocol):
    """Where a build's sentence vectors are read, by table row: its own ``vectors.npy`` (``ArrayVectors``)
    or its Qdrant collection. Answers read them through the table and never know which."""

    dim: int

    def __len__(self) -> int: ...

    def of(self, rows: np.ndarray) -> np.ndarray:
        """The float32 vectors of table ``rows``, in their order."""
        ...


class ArrayVectors:
    """Sentence vectors held in an (n, d) array, float16, memory-mapped when opened from a build."""

    def __init__(self, array: np.ndarray):
        self.array = array
        self.dim = int(array.shape[1])

    def __len__(self) -> int:
        return len(self.array)

    def of(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.array[np.asarray(rows, dtype=np.int64)], dtype=np.float32)


class SentenceTable:
    """The sentences of one build and their vectors; arrays memory-mapped when opened from disk."""

    def __init__(
        self,
        spans: np.ndarray,
        documents: np.ndarray,
        sections: np.ndarray,
        flags: np.ndarray,
        keys: np.ndarray,
        vectors: np.ndarray | SentenceVectors,
    ):
        self.spans = spans
        self.documents = documents
        self.sections = sections
        self.flags = flags
        self.keys = keys
        self.vectors: SentenceVectors = ArrayVectors(vectors) if isinstance(vectors, np.ndarray) else vectors
        # Where each document's sentences begin and end in the table (documents are contiguous).
        count = int(documents.max()) + 1 if len(documents) else 0
        self._bounds = np.searchsorted(documents, np.arange(count + 1))

    def __len__(self) -> int:
        return len(self.spans)

    def within(self, document: int, start: int, end: int) -> range:
        """Rows of the sentences of ``document`` (its index in the chunk table) that start in ``start:end``."""
        if document + 1 >= len(self._bounds):
            return range(0)
        first, last = int(self._bounds[document]), int(self._bounds[document + 1])
        starts = self.spans[first:last, 0]
        return range(first + int(np.searchsorted(starts, start)), first + int(np.searchsorted(starts, end)))

    def vectors_of(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The float32 vectors of ``rows``."""
        return self.vectors.of(np.asarray(rows, dtype=np.int64))

    def with_vectors(self, vectors: SentenceVectors) -> SentenceTable:
        """The same sentences with their vectors read from ``vectors``."""
        return SentenceTable(self.spans, self.documents, self.sections, self.flags, self.keys, vectors)

    def write(self, build: Path) -> None:
        """Write the table into ``build``: ``vectors.npy`` too when the table holds its vectors in an array."""
        table = build / TABLE_DIR
        table.mkdir()
        arrays = {"spans": self.spans, "documents": self.documents, "sections": self.sections, "flags": self.flags, "keys": self.keys}
        if isinstance(self.vectors, ArrayVectors):
            arrays["vectors"] = self.vectors.array
        for name, array in arrays.items():
            np.save(table / f"{name}.npy", array, allow_pickle=False)

    @classmethod
    def open(cls, build: Path, mmap_arrays: bool = True, vectors: SentenceVectors | None = None) -> SentenceTable:
        """Open the table written by ``write``, its vectors from ``vectors`` when given (else its own
        ``vectors.npy``); raises ValueError when its parts disagree."""
        table = build / TABLE_DIR
        mode = "r" if mmap_arrays else None

        def array(name: str) -> np.ndarray:
            return np.asarray(np.load(table / f"{name}.npy", mmap_mode=mode, allow_pickle=False))

        opened = cls(
            array("spans"), array("documents"), array("sections"), array("flags"), array("keys"),
            array("vectors") if vectors is None else vectors,
        )
        size = len(opened.spans)
        if any(len(a) != size for a in (opened.documents, opened.sections, opened.flags, opened.keys, opened.vectors)):
            raise ValueError(f"the sentence table in {build} is inconsistent (sizes differ)")
        if size and np.any(np.diff(opened.documents) < 0):
            raise ValueError(f"the sentence table in {build} is not ordered by document")
        return opened

    def reusable_vectors(self) -> dict[int, np.ndarray]:
        """The vectors of this table by text key, for reuse when re-indexing (a table holding its vectors
        in an array; a Qdrant build's are read back by indexer.qdrant_build)."""
        if not isinstance(self.vectors, ArrayVectors):
            raise ValueError("the sentence vectors of this table are not in its build folder")
        return {int(key): self.vectors.array[row] for row, key in enumerate(self.keys)}


def _cut_by_page_break(paragraph: str, following: str) -> bool:
    if len(paragraph) <= RUNNING_TEXT or paragraph.rstrip().endswith(TERMINAL):
        return False
    last_word = paragraph.rsplit(None, 1)[-1].lower()
    return last_word in DANGLING or following[:1].islower()


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
