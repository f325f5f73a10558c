"""Search over the index: dense, BM25 or hybrid (z-score or reciprocal rank fusion, see settings.fusion),
with filters, district boosting and near-duplicate collapsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from indexer.embedders import Embedder
from indexer.gazetteer import Gazetteer
from indexer.settings import Settings
from indexer.storage import StoredIndex
from indexer.types import Passage

from .fusion import fuse, fuse_scores
from .query import Filters, QueryError, SearchMode, UnknownFilter

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: What a query or question may be, for the API's schema: no control character (``CONTROL``, refused) and
#: at least one character that is not white space as ``str.split`` sees it (``clean_query``, refused when empty).
QUERY_PATTERN = (
    r"^[^\x00-\x08\x0b-\x1f\x7f]*"
    r"[^\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    r"[^\x00-\x08\x0b-\x1f\x7f]*$"
)


@dataclass(frozen=True, slots=True)
class SearchOptions:
    """The search's own choices; all on by default (the evaluation switches each off in turn)."""

    expand_terms: bool = True
    district_boost: bool = True
    collapse_duplicates: bool = True


class Searcher:
    """Runs searches against one loaded index. Built once; every search is in memory."""

    def __init__(self, index: StoredIndex, embedder: Embedder, gazetteer: Gazetteer, settings: Settings):
        self.index = index
        self.embedder = embedder
        self.gazetteer = gazetteer
        self.settings = settings
        self.embed_query = lru_cache(maxsize=2048)(embedder.embed_query)

    def clean_query(self, query: str) -> str:
        """The query with control characters and surplus whitespace removed; errors in Swedish."""
        text = " ".join(CONTROL.sub(" ", query or "").split())
        if not text:
            raise QueryError("Frågan är tom. Skriv vad du söker efter.")
        # The query as sent, spaces and all: the limit the API's schema declares (maxLength).
        if len(query) > self.settings.max_query_chars:
            raise QueryError(f"Frågan är för lång (högst {self.settings.max_query_chars} tecken).")
        return text

    def check_k(self, k: int) -> int:
        """``k`` if it is within 1..max_k; a Swedish error otherwise."""
        if not 1 <= k <= self.settings.max_k:
            raise QueryError(f"Antalet träffar måste vara mellan 1 och {self.settings.max_k}.")
        return k

    def check_filters(self, filters: Filters) -> Filters:
        """Filters with district names made canonical; unknown districts or documents are errors."""
        districts = []
        for name in filters.districts:
            canonical = self.gazetteer.canonical(name)
            if canonical is None:
                raise UnknownFilter(f"Okänd stadsdel: {name!r}. Se /api/districts för giltiga namn.")
            districts.append(canonical)
        for doc_id in filters.doc_ids:
            if doc_id not in self.index.documents:
                raise UnknownFilter(f"Okänt dokument: {doc_id!r}. Se /api/documents för giltiga id.")
        return Filters(tuple(districts), filters.doc_ids, filters.year_from, filters.year_to)

    def search(
        self,
        query: str,
        k: int = 10,
        mode: SearchMode = SearchMode.hybrid,
        filters: Filters = Filters(),
        options: SearchOptions = SearchOptions(),
    ) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first."""
        query = self.clean_query(query)
        k = self.check_k(k)
        filters = self.check_filters(filters)
        depth = max(self.settings.search_candidates, 3 * k)
        vector = self.embed_query(query) if mode in (SearchMode.hybrid, SearchMode.dense) else None
        dense, lexical = self.index.retrieval.rankings(
            query, vector, depth, filters, lexical=mode in (SearchMode.hybrid, SearchMode.bm25), expand=options.expand_terms
        )
        rankings = [ranking.positions.tolist() for ranking in (dense, lexical) if ranking is not None]
        dense_scores = dict(zip(dense.positions.tolist(), dense.scores.tolist())) if dense else {}
        lexical_scores = dict(zip(lexical.positions.tolist(), lexical.scores.tolist())) if lexical else {}
        if mode is SearchMode.hybrid and self.settings.fusion == "zscore":
            ranked = fuse_scores([(list(dense_scores), list(dense_scores.values())), (list(lexical_scores), list(lexical_scores.values()))])
        elif mode is SearchMode.hybrid:
            ranked = fuse(rankings, self.settings.rrf_k)
        else:
            single = dense_scores if mode is SearchMode.dense else lexical_scores
            ranked = [(position, single[position]) for position in rankings[0]]
        if options.district_boost:
            ranked = self._boost_districts(query, ranked)
        return self.passages(ranked, k, options.collapse_duplicates)

    def _boost_districts(self, query: str, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Passages about a district the query names come first, in their fused order."""
        named = set(self.gazetteer.find(query, ignore_case=True))
        if not named:
            return ranked
        # The chunk table's per-district positions, not each candidate's record: a third of a search's CPU.
        about = np.isin(np.fromiter((position for position, _ in ranked), np.int64, len(ranked)),
                        self.index.chunks.positions_about(named)).tolist()
        return [pair for pair, near in zip(ranked, about) if near] + [pair for pair, near in zip(ranked, about) if not near]

    def passages(self, ranked: list[tuple[int, float]], k: int, collapse: bool) -> list[Passage]:
        """The first ``k`` passages of ``ranked`` (chunk position, score) pairs, numbered from 1. With
        ``collapse``, near-duplicates show once: at the best-ranked of them, the others' documents in ``also_in``."""
        chunks, documents = self.index.chunks, self.index.documents.infos
        passages: list[Passage] = []
        absorbed: set[int] = set()
        for position, score in ranked:
            if position in absorbed:
                continue
            chunk = chunks[position]
            also_in: tuple[str, ...] = ()
            if collapse:
                duplicates = self.index.duplicates.get(position, [])
                absorbed.update(duplicates)
                also_in = tuple(sorted({chunks.doc_id(d) for d in duplicates} - {chunk.doc_id}))
            passages.append(
                Passage(chunk=chunk, title=documents[chunk.doc_id].title, score=float(score), rank=len(passages) + 1, also_in=also_in)
            )
            if len(passages) == k:
                break
        return passages
