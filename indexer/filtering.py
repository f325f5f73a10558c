"""Which chunks a search may return: the filters people set (districts, documents, years), the years a
document covers, and the chunk positions the filters allow (for stores that search by position; Qdrant
applies the same filters as payload filters, see indexer.qdrant_layout)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .chunkstore import ChunkTable
from .types import DocumentInfo

YEAR = re.compile(r"\b(?:19|20)\d\d\b")
NO_YEAR = 1_000_000


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions on which passages may be returned; empty means no restriction."""

    districts: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    def __bool__(self) -> bool:
        return bool(self.districts or self.doc_ids or self.year_from is not None or self.year_to is not None)


def document_years(document: DocumentInfo) -> tuple[int, int] | None:
    """The years a document covers: its period range ("2017–2022") or its single year."""
    if document.period:
        years = [int(y) for y in YEAR.findall(document.period)]
        if years:
            return min(years), max(years)
    return (document.year, document.year) if document.year else None


class FilterPositions:
    """The chunk positions that filters allow, from the chunk table and each document's years."""

    def __init__(self, chunks: ChunkTable, infos: Mapping[str, DocumentInfo]):
        self._chunks = chunks
        # First and last year of each document, aligned with the chunk table's documents; a document
        # without a year never passes a year filter.
        years = [document_years(infos[doc_id]) or (NO_YEAR, -NO_YEAR) for doc_id in chunks.doc_ids]
        self._first_year = np.array([first for first, _ in years], dtype=np.int64)
        self._last_year = np.array([last for _, last in years], dtype=np.int64)

    def positions(self, filters: Filters) -> np.ndarray:
        """Positions of the chunks ``filters`` allow (ascending)."""
        chunks = self._chunks
        allowed = np.isin(chunks.doc_ids, filters.doc_ids) if filters.doc_ids else np.ones(len(chunks.doc_ids), dtype=bool)
        if filters.year_from is not None:
            allowed &= self._last_year >= filters.year_from
        if filters.year_to is not None:
            allowed &= self._first_year <= filters.year_to
        positions = chunks.positions_where(allowed)
        if filters.districts:
            positions = np.intersect1d(positions, chunks.positions_about(filters.districts), assume_unique=True)
        return positions
