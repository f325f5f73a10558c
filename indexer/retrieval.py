"""The two rankings a hybrid search fuses, under the same filters, behind one protocol.

``PositionRetrieval`` runs them over stores that search by chunk position (FAISS and bm25s, filters
turned into the positions they allow); ``indexer.qdrant_store.QdrantRetrieval`` asks Qdrant for both in
one request, filters as payload filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .filtering import FilterPositions, Filters
from .lexical import LexicalIndex
from .vectorstore import VectorStore


@dataclass(frozen=True, slots=True)
class Ranking:
    """Chunk positions and their scores, best first."""

    positions: np.ndarray
    scores: np.ndarray


class Retrieval(Protocol):
    """Dense and lexical candidates for a query, restricted by filters."""

    def rankings(
        self, query: str, vector: np.ndarray | None, depth: int, filters: Filters, lexical: bool = True, expand: bool = True
    ) -> tuple[Ranking | None, Ranking | None]:
        """The ``depth`` best chunks by dense similarity to ``vector`` (None: no dense ranking) and by BM25
        for ``query`` (when ``lexical``; ``expand`` adds spelling variants and compound parts), both only
        among the chunks ``filters`` allow."""
        ...


class PositionRetrieval:
    """Both rankings from stores addressed by chunk position; filters become the positions they allow."""

    def __init__(self, dense: VectorStore, lexical: LexicalIndex, allowed: FilterPositions):
        self._dense = dense
        self._lexical = lexical
        self._allowed = allowed

    def rankings(
        self, query: str, vector: np.ndarray | None, depth: int, filters: Filters, lexical: bool = True, expand: bool = True
    ) -> tuple[Ranking | None, Ranking | None]:
        subset = self._allowed.positions(filters) if filters else None
        dense = Ranking(*self._dense.search(vector, depth, subset)) if vector is not None else None
        words = Ranking(*self._lexical.search(query, depth, subset, expand)) if lexical else None
        return dense, words
