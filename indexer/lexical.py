"""The lexical index: BM25 (bm25s) over Swedish-stemmed tokens, with query expansion.

Stored as bm25s's own plain files (JSON and .npy, no pickle) plus our parameters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import bm25s
import numpy as np

from .swedish import QueryExpander, WeightedTerm, tokenize_many

PARAMS_FILE = "stadshus_lexical.json"


class LexicalIndex(Protocol):
    """Scores every chunk for a query by the words it shares with it."""

    def scores(self, query: str, expand: bool = True) -> np.ndarray:
        """One float32 score per chunk (0 where nothing matches)."""
        ...

    def query_terms(self, query: str, expand: bool = True) -> list[WeightedTerm]:
        """The weighted terms a query is scored with (for explaining a result)."""
        ...

    def save(self, directory: Path) -> None:
        """Write the index into ``directory``."""
        ...


class BM25Index:
    """BM25 over chunk texts; ``stem=False`` gives a plain lower-case word index (an ablation)."""

    def __init__(self, model: bm25s.BM25, size: int, stem: bool = True, max_distance: int = 2):
        self._model = model
        self._size = size
        self.stem = stem
        self.document_frequency = self._document_frequency(model) if size else {}
        self._expander = QueryExpander(self.document_frequency, size, max_distance)

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
        if expand:
            return self._expander.terms(query, self.stem)
        return [WeightedTerm(term, 1.0, "query", term) for term in dict.fromkeys(tokenize_many([query], self.stem)[0])]

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of ``term`` (highest for terms the index lacks)."""
        frequency = self.document_frequency.get(term, 0)
        return float(np.log(1 + (self._size - frequency + 0.5) / (frequency + 0.5)))

    def scores(self, query: str, expand: bool = True) -> np.ndarray:
        total = np.zeros(self._size, dtype=np.float32)
        if not self._size:
            return total
        vocabulary = self._model.vocab_dict
        for weighted in self.query_terms(query, expand):
            if weighted.term in vocabulary:
                total += weighted.weight * self._model.get_scores([weighted.term])
        return total

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
