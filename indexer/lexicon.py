"""BM25 as sparse vectors, for an engine that scores them itself (Qdrant, with its IDF modifier).

A chunk's sparse vector holds, for each of its terms (Stadshus's Swedish analysis: stems, stop words
removed), BM25's term-frequency part ``tf / (tf + k1 * (1 - b + b * length / mean length))``; the engine
multiplies it by ``ln(1 + (N - df + 0.5) / (df + 0.5))`` at query time. That is bm25s's "lucene" BM25
(the ``BM25Index`` of the FAISS path) term for term, so a query vector of the expanded, weighted query
terms scores every chunk as ``BM25Index.search`` does.

The vocabulary with its document frequencies stays beside the build (``lexicon.json``): query expansion
(spelling variants, compound parts) and the answerer's term weights read it without asking the engine.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .swedish import QueryExpander, WeightedTerm, tokenize, tokenize_many

LEXICON_FILE = "lexicon.json"
# bm25s's defaults, which the FAISS path's BM25Index uses.
K1 = 1.5
B = 0.75


@dataclass(frozen=True, slots=True)
class SparseVector:
    """Term ids (ascending) and their weights."""

    indices: np.ndarray
    values: np.ndarray


class Lexicon:
    """The terms of one build: an id for each (its sparse dimension), how many chunks hold it, and the
    query analysis over them."""

    def __init__(self, terms: Sequence[str], frequencies: Sequence[int], size: int, stem: bool = True, max_distance: int = 2):
        self.terms = tuple(terms)
        self.ids = {term: i for i, term in enumerate(self.terms)}
        self.document_frequency = dict(zip(self.terms, (int(f) for f in frequencies)))
        self._size = size
        self.stem = stem
        self._expander = QueryExpander(self.document_frequency, size, max_distance)

    @classmethod
    def build(
        cls, texts: Sequence[str], stem: bool = True, max_distance: int = 2
    ) -> tuple[Lexicon, list[SparseVector]]:
        """The lexicon of ``texts`` (one per chunk, in chunk order) and each text's sparse vector."""
        tokenized = tokenize_many(texts, stem)
        frequency: Counter[str] = Counter(term for tokens in tokenized for term in set(tokens))
        lexicon = cls(sorted(frequency), [frequency[t] for t in sorted(frequency)], len(texts), stem, max_distance)
        mean_length = max(sum(map(len, tokenized)) / max(len(tokenized), 1), 1e-9)
        return lexicon, [lexicon._vector(tokens, mean_length) for tokens in tokenized]

    def _vector(self, tokens: list[str], mean_length: float) -> SparseVector:
        counts = Counter(tokens)
        ids = np.array([self.ids[term] for term in counts], dtype=np.int64)
        tf = np.array(list(counts.values()), dtype=np.float64)
        values = tf / (tf + K1 * (1 - B + B * len(tokens) / mean_length))
        order = np.argsort(ids)
        return SparseVector(ids[order], values[order].astype(np.float32))

    def __len__(self) -> int:
        return self._size

    def query_terms(self, query: str, expand: bool = True) -> list[WeightedTerm]:
        """The weighted terms a query is scored with, as ``BM25Index.query_terms``."""
        if expand:
            return self._expander.terms(query, self.stem)
        return [WeightedTerm(term, 1.0, "query", term) for term in dict.fromkeys(tokenize(query, self.stem))]

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of ``term`` (highest for terms the index lacks)."""
        frequency = self.document_frequency.get(term, 0)
        return float(np.log(1 + (self._size - frequency + 0.5) / (frequency + 0.5)))

    def query_vector(self, terms: Sequence[WeightedTerm]) -> SparseVector:
        """The sparse query of weighted ``terms``; terms the index lacks are left out (they score nothing)."""
        weights: dict[int, float] = {}
        for weighted in terms:
            term_id = self.ids.get(weighted.term)
            if term_id is not None:
                weights[term_id] = max(weights.get(term_id, 0.0), weighted.weight)
        ids = np.array(sorted(weights), dtype=np.int64)
        return SparseVector(ids, np.array([weights[i] for i in ids.tolist()], dtype=np.float32))

    def save(self, directory: Path) -> None:
        """Write the lexicon into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        data = {
            "size": self._size,
            "stem": self.stem,
            "terms": self.terms,
            "frequencies": [self.document_frequency[t] for t in self.terms],
        }
        (directory / LEXICON_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, max_distance: int = 2) -> Lexicon:
        """Read a lexicon written by ``save``."""
        data = json.loads((directory / LEXICON_FILE).read_text(encoding="utf-8"))
        if len(data["terms"]) != len(data["frequencies"]):
            raise ValueError(f"the lexicon in {directory} is inconsistent (terms and frequencies differ in number)")
        return cls(data["terms"], data["frequencies"], data["size"], data["stem"], max_distance)
