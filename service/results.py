"""A page of search results as the web page shows them: a relevance floor, so that a query nothing in the
documents is near gets no hits; paging; counts per district and year (facets); and in each hit the words
that match the query.

A hit passes the floor when it holds one of the query's index terms (the words BM25 scores: stems,
spelling variants, compound parts) or when its dense similarity to the query reaches
``settings.search_min_dense`` (calibrated with ``python -m eval.search_floor``: gold evidence kept,
nonsense and off-topic queries left without hits).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from indexer.filtering import document_years
from indexer.types import Passage

from .engine import Engine
from .highlight import QueryWords, highlights
from .search import Filters, QueryError, SearchMode


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage of a search with the offsets (into its text) of the words that match the query."""

    passage: Passage
    highlights: tuple[tuple[int, int], ...]
    dense: float
    matched: bool


@dataclass(frozen=True, slots=True)
class ResultPage:
    """Hits ``offset`` .. ``offset + len(hits)`` of the ``total`` that pass the floor, with facet counts
    over all of them (district -> hits about it, year -> hits from documents covering it)."""

    query: str
    hits: tuple[Hit, ...]
    total: int
    offset: int
    districts: dict[str, int]
    years: dict[int, int]


def relevance(engine: Engine, query: str, positions: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """For the chunks at ``positions``: their dense similarity to ``query`` and whether they hold one of its
    index terms (in the text or the context line BM25 also reads)."""
    vector = engine.searcher.embed_query(query)
    dense = np.array([float(engine.index.dense.vector(p) @ vector) for p in positions], dtype=np.float64)
    # The chunks among them that BM25 scores at all are those holding a term: read off the index's postings
    # instead of tokenising every chunk again (42 % of a search page's own CPU; docs/scaling.md).
    among = np.unique(np.asarray(positions, dtype=np.int64))
    holding, _ = engine.index.lexical.search(query, len(among), among) if len(among) else (among, None)
    return dense, np.isin(np.asarray(positions, dtype=np.int64), holding)


def search_page(
    engine: Engine,
    query: str,
    offset: int = 0,
    limit: int = 10,
    mode: SearchMode = SearchMode.hybrid,
    filters: Filters = Filters(),
) -> ResultPage:
    """The hits of ``query`` that pass the relevance floor, best first, from ``offset``, at most ``limit``.

    Raises ``QueryError`` (Swedish message) for a bad query, limit, offset or filter.
    """
    searcher = engine.searcher
    query = searcher.clean_query(query)
    limit = searcher.check_k(limit)
    if not 0 <= offset < engine.settings.max_k:
        raise QueryError(f"Början av sidan måste vara mellan 0 och {engine.settings.max_k - 1}.")
    # Every hit the floor lets through, up to the deepest page a search may reach, for the facets.
    passages = searcher.search(query, engine.settings.max_k, mode, filters)
    positions = [engine.index.chunk_position(p.chunk.chunk_id) for p in passages]
    dense, matched = relevance(engine, query, positions)
    floor = engine.settings.search_min_dense
    kept = [(p, d, m) for p, d, m in zip(passages, dense.tolist(), matched.tolist()) if m or d >= floor]
    words = QueryWords.of(engine.index.lexical.query_terms(query))
    districts: Counter[str] = Counter()
    years: Counter[int] = Counter()
    infos = engine.index.documents.infos
    for passage, _, _ in kept:
        districts.update(passage.chunk.districts)
        covered = document_years(infos[passage.chunk.doc_id])
        if covered:
            years.update(range(covered[0], covered[1] + 1))
    hits = tuple(
        Hit(
            Passage(p.chunk, p.title, p.score, rank, p.also_in),
            tuple(highlights(p.chunk.text, words)),
            round(d, 6),
            m,
        )
        for rank, (p, d, m) in enumerate(kept[offset : offset + limit], start=offset + 1)
    )
    return ResultPage(
        query=query,
        hits=hits,
        total=len(kept),
        offset=offset,
        districts=dict(sorted(districts.items(), key=lambda item: (-item[1], item[0]))),
        years=dict(sorted(years.items(), reverse=True)),
    )
