"""The lexical index: BM25 (bm25s) over Swedish-stemmed tokens, with query expansion.

Stored as bm25s's own plain files (JSON and .npy, no pickle) plus our parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import bm25s
import numpy as np

from .swedish import QueryExpander, WeightedTerm, tokenize_many

PARAMS_FILE = "stadshus_lexical.json"
#: Queries whose terms and matching chunks are kept (a search page asks for each several times).
QUERY_CACHE = 256


class LexicalIndex(Protocol):
    """Ranks chunks for a query by the words they share with it."""

    def search(
        self, query: str, k: int, subset: np.ndarray | None = None, expand: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions and scores of the ``k`` best chunks sharing a term with ``query``, best first; only
        chunks in ``subset`` (ascending positions) when given."""
        ...

    document_frequency: Mapping[str, int]

    def query_terms(self, query: str, expand: bool = True) -> list[WeightedTerm]:
        """The weighted terms a query is scored with (for explaining a result)."""
        ...

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of ``term`` (highest for terms the index lacks)."""
        ...

    def __len__(self) -> int: ...


class BM25Index:
    """BM25 over chunk texts; ``stem=False`` gives a plain lower-case word index (an ablation)."""

    def __init__(self, model: bm25s.BM25, size: int, stem: bool = True, max_distance: int = 2):
        self._model = model
        self._size = size
        self.stem = stem
        self.document_frequency = self._document_frequency(model) if size else {}
        # bm25s's term-major score matrix, as plain arrays (indexing a np.memmap costs more per call).
        self._postings = {name: np.asarray(model.scores[name]) for name in ("indptr", "indices", "data")} if size else {}
        self._expander = QueryExpander(self.document_frequency, size, max_distance)
        # A search page scores a query's terms for its ranking and again for its relevance floor and highlights.
        self._terms = lru_cache(maxsize=QUERY_CACHE)(self._query_terms)
        self._matches = lru_cache(maxsize=QUERY_CACHE)(self._query_matches)

    @staticmethod
    def _document_frequency(model: bm25s.BM25) -> dict[str, int]:
        """Passages per term, read off the term-major sparse score matrix."""
        counts = np.diff(np.asarray(model.scores["indptr"]))
        return {term: int(counts[column]) for term, column in model.vocab_dict.items() if column < len(counts)}

    @classmethod
    def build(cls, texts: Sequence[str], stem: bool = True, max_distance: int = 2) -> BM25Index:
        """Index ``texts`` (one per chunk, in chunk order)."""
        model = bm25s.BM25()
        if texts:
            model.index(tokenize_many(texts, stem), show_progress=False)
        return cls(model, len(texts), stem, max_distance)

    def __len__(self) -> int:
        return self._size

    def query_terms(self, query: str, expand: bool = True) -> list[WeightedTerm]:
        return list(self._terms(query, expand))

    def _query_terms(self, query: str, expand: bool) -> tuple[WeightedTerm, ...]:
        if expand:
            return tuple(self._expander.terms(query, self.stem))
        return tuple(WeightedTerm(term, 1.0, "query", term) for term in dict.fromkeys(tokenize_many([query], self.stem)[0]))

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of ``term`` (highest for terms the index lacks)."""
        frequency = self.document_frequency.get(term, 0)
        return float(np.log(1 + (self._size - frequency + 0.5) / (frequency + 0.5)))

    def search(
        self, query: str, k: int, subset: np.ndarray | None = None, expand: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        positions, scores = self._matches(query, expand)
        if subset is not None:
            keep = np.isin(positions, subset, assume_unique=True)
            positions, scores = positions[keep], scores[keep]
        k = min(k, len(positions))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(positions) else np.arange(len(positions))
        # Ties keep position order, so a ranking never depends on how the partition fell.
        top = top[np.lexsort((positions[top], -scores[top]))]
        return positions[top], scores[top]

    def _query_matches(self, query: str, expand: bool) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk holding a query term (ascending) and its weighted BM25 score (read-only: cached).

        Only the postings of the query's terms are read: each term's column of bm25s's term-major
        score matrix lists the chunks holding it, at most once each, so one indexed add per term sums
        them (bm25s's own ``get_scores`` uses ``np.add.at``, several times slower)."""
        if not self._size:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        vocabulary, matrix = self._model.vocab_dict, self._postings
        total = np.zeros(self._size, dtype=np.float32)
        for weighted in self._terms(query, expand):
            column = vocabulary.get(weighted.term)
            if column is None:
                continue
            begin, end = int(matrix["indptr"][column]), int(matrix["indptr"][column + 1])
            total[matrix["indices"][begin:end]] += weighted.weight * matrix["data"][begin:end]
        positions = np.flatnonzero(total)
        scores = total[positions]
        positions.flags.writeable = scores.flags.writeable = False
        return positions, scores

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self._size:
            self._model.save(str(directory), show_progress=False)
        (directory / PARAMS_FILE).write_text(json.dumps({"size": self._size, "stem": self.stem}), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, max_distance: int = 2, mmap: bool = True) -> BM25Index:
        """Load an index written by ``save``; ``mmap`` shares its arrays between processes."""
        params = json.loads((directory / PARAMS_FILE).read_text(encoding="utf-8"))
        model = bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False) if params["size"] else bm25s.BM25()
        return cls(model, params["size"], params["stem"], max_distance)
