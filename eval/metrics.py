"""The evaluation's measures, as pure functions of small inputs.

Relevance is decided by text, not by chunk ids, so that any system (ours, its ablations, the LangChain
baseline with its own chunks) is judged by one rule: a passage is relevant to an evidence item when it
comes from the item's document (or lists that document in ``also_in``, the near-duplicate reports) and
its text contains the item's snippet after :func:`normalise`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz

from .gold import Evidence

# Typographic quotes and dashes written either way in the documents and the gold snippets.
FOLD = str.maketrans({"”": '"', "“": '"', "„": '"', "’": "'", "‘": "'", "–": "-", "—": "-", "‐": "-", "‑": "-"})


@dataclass(frozen=True, slots=True)
class Retrieved:
    """A retrieved passage as the metrics see it: where it comes from and its text."""

    doc_id: str
    text: str
    section: str = ""
    also_in: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Counts:
    """True positives, false positives and false negatives; an empty denominator scores 0."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        """Share of the predicted that are right."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Share of the gold that was predicted."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` lower-cased, quotes and dashes folded, whitespace runs made one space and trimmed;
    with the offset in ``text`` of every character of the result."""
    chars: list[str] = []
    offsets: list[int] = []
    space_at: int | None = None
    for position, char in enumerate(text):
        if char.isspace():
            if chars and space_at is None:
                space_at = position
            continue
        if space_at is not None:
            chars.append(" ")
            offsets.append(space_at)
            space_at = None
        for folded in char.lower().translate(FOLD):
            chars.append(folded)
            offsets.append(position)
    return "".join(chars), offsets


@lru_cache(maxsize=16384)
def normalise(text: str) -> str:
    """``text`` as relevance compares it (see :func:`normalise_with_offsets`)."""
    return normalise_with_offsets(text)[0]


@lru_cache(maxsize=64)
def _normalised_document(text: str) -> tuple[str, tuple[int, ...]]:
    # Whole documents are normalised once, not once per citation.
    normalised, offsets = normalise_with_offsets(text)
    return normalised, tuple(offsets)


def snippet_spans(text: str, snippet: str) -> list[tuple[int, int]]:
    """Every ``(start, end)`` in ``text`` where ``snippet`` occurs after normalising both."""
    haystack, offsets = _normalised_document(text)
    needle = normalise(snippet)
    spans: list[tuple[int, int]] = []
    if not needle:
        return spans
    found = haystack.find(needle)
    while found >= 0:
        spans.append((offsets[found], offsets[found + len(needle) - 1] + 1))
        found = haystack.find(needle, found + 1)
    return spans


def is_relevant(passage: Retrieved, evidence: Evidence) -> bool:
    """Whether ``passage`` holds ``evidence``: same document (or a near-duplicate it lists) and the snippet."""
    if evidence.doc_id != passage.doc_id and evidence.doc_id not in passage.also_in:
        return False
    return normalise(evidence.snippet) in normalise(passage.text)


def first_ranks(passages: Sequence[Retrieved], evidence: Sequence[Evidence]) -> list[int | None]:
    """For each evidence item, the 1-based rank of the first passage holding it, or None."""
    ranks: list[int | None] = []
    for item in evidence:
        ranks.append(next((rank for rank, p in enumerate(passages, start=1) if is_relevant(p, item)), None))
    return ranks


def recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Share of evidence items found within the top ``k``."""
    if not ranks:
        raise ValueError("recall needs at least one evidence item")
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def reciprocal_rank(ranks: Sequence[int | None], k: int = 10) -> float:
    """1 / the rank of the first relevant passage within the top ``k`` (0 if none)."""
    found = [r for r in ranks if r is not None and r <= k]
    return 1.0 / min(found) if found else 0.0


def ndcg_at_k(ranks: Sequence[int | None], k: int = 10) -> float:
    """nDCG with a binary gain per evidence item, earned at the first rank that holds it.

    The ideal puts the items at ranks 1..n. One passage can hold two items (a near-duplicate passage
    listing both reports), which beats that ideal, so the value is capped at 1.
    """
    if not ranks:
        raise ValueError("nDCG needs at least one evidence item")
    dcg = sum(1.0 / math.log2(r + 1) for r in ranks if r is not None and r <= k)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(ranks), k) + 1))
    return min(1.0, dcg / ideal)


def citation_supported(
    cited: Retrieved, quote_span: tuple[int, int], document_text: str, evidence: Sequence[Evidence]
) -> bool:
    """Whether a citation lies in a passage relevant to one of the question's evidence items.

    ``cited`` is the chunk the citation points at (with the near-duplicate documents of that chunk as
    ``also_in``) and ``quote_span`` the quote's offsets in ``document_text``, the cited document's
    cleaned text. The citation counts when the chunk holds an evidence snippet (:func:`is_relevant`),
    or when the quote overlaps a place where a snippet of the same document occurs (a snippet that
    straddles two chunks lies whole in neither).
    """
    for item in evidence:
        if is_relevant(cited, item):
            return True
        if item.doc_id == cited.doc_id and snippet_overlaps(document_text, item.snippet, [quote_span]):
            return True
    return False


def snippet_overlaps(text: str, snippet: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether some occurrence of ``snippet`` in ``text`` (after normalising) overlaps one of ``spans``."""
    return any(
        start < snippet_end and snippet_start < end
        for snippet_start, snippet_end in snippet_spans(text, snippet)
        for start, end in spans
    )


def years_overlap(years: tuple[int, int] | None, year_from: int | None, year_to: int | None) -> bool:
    """Whether a document covering ``years`` (first, last) may answer a question limited to
    ``year_from``..``year_to``: the two ranges share a year. An undated document only passes no limit."""
    if year_from is None and year_to is None:
        return True
    if years is None:
        return False
    return (year_to is None or years[0] <= year_to) and (year_from is None or years[1] >= year_from)


def in_order(keys: Sequence[tuple[int, ...]]) -> bool:
    """Whether ``keys`` never go back (each at least the one before it)."""
    return all(a <= b for a, b in zip(keys, keys[1:]))


def set_counts(predicted: Sequence[str], gold: Sequence[str]) -> Counts:
    """Counts of a predicted set against a gold set."""
    predicted_set, gold_set = set(predicted), set(gold)
    return Counts(len(predicted_set & gold_set), len(predicted_set - gold_set), len(gold_set - predicted_set))


def abstention_counts(abstained: Sequence[bool], answerable: Sequence[bool]) -> Counts:
    """Abstention as a classifier of unanswerable questions: a positive is an abstention."""
    if len(abstained) != len(answerable):
        raise ValueError("one abstention flag per question")
    return Counts(
        tp=sum(1 for a, ok in zip(abstained, answerable) if a and not ok),
        fp=sum(1 for a, ok in zip(abstained, answerable) if a and ok),
        fn=sum(1 for a, ok in zip(abstained, answerable) if not a and not ok),
    )


def contains_facts(text: str, facts: Sequence[str]) -> bool:
    """Whether ``text`` states every key fact (compared after normalising)."""
    normalised = normalise(text)
    return all(normalise(fact) in normalised for fact in facts)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation); 0 for no values."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else 0.0


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; 0 for no values."""
    return float(sum(values) / len(values)) if values else 0.0


def sentence_answers(sentence: str, evidence: Sequence[Evidence]) -> bool:
    """Whether a sentence states an evidence item: it holds a snippet, or it is part of a snippet that
    spans several sentences (at least four words of it). Matched by text alone, so the same sentence in a
    near-duplicate report (or quoted by another document) counts too."""
    text = normalise(sentence)
    if not text:
        return False
    for item in evidence:
        snippet = normalise(item.snippet)
        if snippet in text or (len(text.split()) >= 4 and text in snippet):
            return True
    return False


def actor_key(name: str) -> str:
    """An actor's name as two spellings of it share it: case, diacritics, "AB", the definite ending and a
    genitive -s folded ("AB Svenska bostäder" and "Svenska Bostäder"; "Polisen" and "polis")."""
    folded = normalise(name).translate(str.maketrans("åäöé", "aaoe"))
    words = [w for w in re.findall(r"[a-z0-9]+", folded) if w != "ab"]
    return " ".join(re.sub(r"(?:en|et|n|s)$", "", w) if len(w) > 5 else w for w in words)


def actor_counts(predicted: Sequence[str], gold: Sequence[str]) -> Counts:
    """Counts of predicted actors against the gold ones, matching names by ``actor_key`` or when one
    folded name holds the other whole ("Fastighetsägare i Järva" and "Fastighetsägarna i Järva")."""
    remaining = [actor_key(g) for g in gold]
    tp = fp = 0
    for name in dict.fromkeys(actor_key(p) for p in predicted):
        match = next((g for g in remaining if g == name or fuzz.ratio(g, name) >= 90 or _holds(g, name)), None)
        if match is None:
            fp += 1
        else:
            tp += 1
            remaining.remove(match)
    return Counts(tp, fp, len(remaining))


def _holds(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and re.search(rf"(?:^| ){re.escape(short)}(?: |$)", long) is not None
