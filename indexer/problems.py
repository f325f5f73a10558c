"""The indexer's own errors, whose messages are meant for the person running Stadshus. Apart from the modules
that raise them (which load numpy, faiss and bm25s) so that the CLI can catch them without loading those."""

from __future__ import annotations


class IndexProblem(Exception):
    """Base class of index problems; messages are meant for the person running Stadshus."""


class EmbedderError(RuntimeError):
    """The configured embedder cannot be loaded; the message says what to do."""


class RecordError(ValueError):
    """A record, or the table that locates it, that cannot be read back (a damaged build)."""
