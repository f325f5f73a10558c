"""What a search is asked: its mode and filters (``Filters`` is indexer.filtering's, which the stores apply),
and the error for a query that cannot be run. Kept apart from the search itself, which needs the index's
libraries, so that the CLI can name them without loading those."""

from __future__ import annotations

from enum import Enum

from indexer.filtering import Filters  # re-exported: the CLI, the API and the answerer name it from here


class SearchMode(str, Enum):
    """Which retrievers a search uses."""

    hybrid = "hybrid"
    dense = "dense"
    bm25 = "bm25"


class QueryError(ValueError):
    """A query that cannot be run; the message is Swedish, for the person who typed it."""


class UnknownFilter(QueryError):
    """A filter naming a district or document the index does not have (the API answers 404)."""
