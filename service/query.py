"""What a search is asked: its mode and filters, and the error for a query that cannot be run. Kept apart
from the search itself, which needs the index's libraries, so that the CLI can name them without loading those."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class SearchMode(str, Enum):
    """Which retrievers a search uses."""

    hybrid = "hybrid"
    dense = "dense"
    bm25 = "bm25"


class QueryError(ValueError):
    """A query that cannot be run; the message is Swedish, for the person who typed it."""


class UnknownFilter(QueryError):
    """A filter naming a district or document the index does not have (the API answers 404)."""


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions on which passages may be returned; empty means no restriction."""

    districts: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    def __bool__(self) -> bool:
        return bool(self.districts or self.doc_ids or self.year_from is not None or self.year_to is not None)
