"""The hybrid index on Qdrant, read through Stadshus's protocols: ``QdrantStore`` (VectorStore),
``QdrantLexical`` (LexicalIndex) and ``QdrantRetrieval`` (both rankings in one request).

One collection per build, ``<alias>-<build id>``; the alias (``STADSHUS_QDRANT_COLLECTION``) names the one
served and moves when a build is complete (indexer.qdrant_build). A collection holds:

    point id         the chunk's position 0..N-1, as the rows of the FAISS path
    vector "dense"   the chunk's embedding (normalised, so the dot product is the cosine similarity)
    vector "bm25"    sparse: BM25 term-frequency weights of the chunk's stems (indexer.lexicon), with
                     Qdrant's IDF modifier, so the engine scores BM25 as bm25s does
    payload          kind "chunk", chunk_id, doc_id, districts, year_first and year_last (the years its
                     document covers; absent when it has none), section, start, end, text_hash
    payload indexes  kind, doc_id, districts (keyword); year_first, year_last (integer)

and the build's sentence vectors (indexer.sentences; the rest of the sentence table stays in the build
folder), one point per row of the table:

    point id         ``SENTENCE_IDS`` + the sentence's row
    vector "sentence"  its embedding, float16 as in a FAISS build's table, without a graph (read by id only)
    payload          kind "sentence", key (the hash of its text, by which a re-index reuses the vector)

Chunk searches name "dense" or "bm25" and never see sentence points, and having no "bm25" vector they
stay out of its IDF statistics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from .filtering import Filters
from .lexicon import Lexicon
from .qdrant_engines import (
    DENSE,
    SENTENCE,
    SPARSE,
    Between,
    CollectionSpec,
    Condition,
    HasIds,
    Match,
    QdrantEngine,
    Search,
    open_engine,
)
from .retrieval import Ranking
from .settings import Settings
from .swedish import WeightedTerm

# As indexer.pipeline names builds: a collection of another alias that begins like this one is not ours.
BUILD_ID = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}")
KIND = "kind"
CHUNK = "chunk"
SENTENCE_KIND = "sentence"
# Sentence points are numbered apart from chunk positions: far above any number of chunks.
SENTENCE_IDS = 1 << 40
PAYLOAD_INDEXES: dict[str, Literal["keyword", "integer"]] = {
    KIND: "keyword",
    "doc_id": "keyword",
    "districts": "keyword",
    "year_first": "integer",
    "year_last": "integer",
}
# The graph of FaissStore's HNSW, so the two engines are compared like for like.
HNSW_M = 32
HNSW_EF_CONSTRUCT = 80
HNSW_EF_SEARCH = 96


@dataclass(frozen=True, slots=True)
class QdrantTarget:
    """Where the Qdrant index lives and how its collections are made, from the settings."""

    url: str
    alias: str
    api_key: str | None = None
    shards: int = 1
    replicas: int = 1
    quantization: Literal["none", "int8"] = "none"

    @classmethod
    def from_settings(cls, settings: Settings) -> QdrantTarget | None:
        """The target of ``settings``, or None when the store is FAISS. Without a URL the engine runs in
        this process, in ``<index_dir>/qdrant``."""
        if settings.store != "qdrant":
            return None
        return cls(
            url=settings.qdrant_url or f"edge:{Path(settings.index_dir) / 'qdrant'}",
            alias=settings.qdrant_collection,
            api_key=settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None,
            shards=settings.qdrant_shards,
            replicas=settings.qdrant_replicas,
            quantization=settings.qdrant_quantization,
        )

    def engine(self) -> QdrantEngine:
        """The engine at ``url`` (one per process)."""
        return open_engine(self.url, self.api_key)

    def collection(self, build_id: str) -> str:
        """The collection of build ``build_id``."""
        return f"{self.alias}-{build_id}"

    def build_id(self, collection: str) -> str | None:
        """The build a collection of this alias holds, or None for another collection."""
        prefix = f"{self.alias}-"
        rest = collection[len(prefix) :]
        return rest if collection.startswith(prefix) and BUILD_ID.fullmatch(rest) else None

    def spec(self, dim: int) -> CollectionSpec:
        """The layout of a collection of ``dim``-dimensional chunk and sentence vectors."""
        return CollectionSpec(
            dense={DENSE: dim},
            sparse=(SPARSE,),
            payload_indexes=PAYLOAD_INDEXES,
            stored={SENTENCE: dim},
            hnsw_m=HNSW_M,
            hnsw_ef_construct=HNSW_EF_CONSTRUCT,
            shards=self.shards,
            replicas=self.replicas,
            quantization=self.quantization,
        )


def conditions(filters: Filters) -> tuple[Condition, ...]:
    """The payload filter of ``filters``: the same chunks as ``FilterPositions.positions``."""
    where: list[Condition] = []
    if filters.doc_ids:
        where.append(Match("doc_id", tuple(filters.doc_ids)))
    if filters.districts:
        where.append(Match("districts", tuple(filters.districts)))
    if filters.year_from is not None:
        where.append(Between("year_last", gte=filters.year_from))
    if filters.year_to is not None:
        where.append(Between("year_first", lte=filters.year_to))
    return tuple(where)


def _restriction(subset: np.ndarray | None) -> tuple[Condition, ...]:
    return () if subset is None else (HasIds(tuple(int(p) for p in subset)),)


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)


class QdrantStore:
    """The chunk vectors of one collection, by position (the ``VectorStore`` protocol)."""

    def __init__(self, engine: QdrantEngine, collection: str):
        self.engine = engine
        self.collection = collection
        self._size = engine.count(collection, (Match(KIND, (CHUNK,)),))

    def __len__(self) -> int:
        return self._size

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions and scores of the ``k`` best chunks, best first; only those in ``subset`` when given."""
        if not self._size or k <= 0 or (subset is not None and not len(subset)):
            return _empty()
        limit = min(k, self._size)
        search = Search(DENSE, np.asarray(query, dtype=np.float32), limit, _restriction(subset), max(HNSW_EF_SEARCH, limit))
        return self.engine.search(self.collection, [search])[0]

    def vector(self, position: int) -> np.ndarray:
        """The stored vector of the chunk at ``position``."""
        found = self.engine.vectors(self.collection, [int(position)], DENSE)
        if int(position) not in found:
            raise IndexError(f"no vector at position {position} (the collection holds {self._size})")
        return found[int(position)]


class QdrantSentenceVectors:
    """The sentence vectors of one collection by sentence table row (the ``SentenceVectors`` protocol)."""

    def __init__(self, engine: QdrantEngine, collection: str, dim: int):
        self.engine = engine
        self.collection = collection
        self.dim = dim
        self._size = engine.count(collection, (Match(KIND, (SENTENCE_KIND,)),))

    def __len__(self) -> int:
        return self._size

    def of(self, rows: np.ndarray) -> np.ndarray:
        """The float32 vectors of ``rows``, in their order (one request)."""
        rows = np.asarray(rows, dtype=np.int64)
        found = self.engine.vectors(self.collection, (rows + SENTENCE_IDS).tolist(), SENTENCE)
        vectors = np.zeros((len(rows), self.dim), dtype=np.float32)
        for i, row in enumerate(rows.tolist()):
            vector = found.get(SENTENCE_IDS + row)
            if vector is None:
                raise IndexError(f"no sentence vector for row {row} (the collection holds {self._size})")
            vectors[i] = vector
        return vectors


class QdrantLexical:
    """BM25 scored by Qdrant over the chunks' sparse vectors (the ``LexicalIndex`` protocol); the query
    analysis is the lexicon's, as on the FAISS path."""

    def __init__(self, engine: QdrantEngine, collection: str, lexicon: Lexicon):
        self.engine = engine
        self.collection = collection
        self.lexicon = lexicon
        self.document_frequency = lexicon.document_frequency

    def __len__(self) -> int:
        return len(self.lexicon)

    def query_terms(self, query: str, expand: bool = True) -> list[WeightedTerm]:
        return self.lexicon.query_terms(query, expand)

    def idf(self, term: str) -> float:
        return self.lexicon.idf(term)

    def sparse_search(self, query: str, k: int, expand: bool, where: tuple[Condition, ...]) -> Search | None:
        """The sparse search for ``query``, or None when none of its terms is in the index."""
        vector = self.lexicon.query_vector(self.query_terms(query, expand))
        return Search(SPARSE, vector, k, where) if len(vector.indices) and k > 0 else None

    def search(
        self, query: str, k: int, subset: np.ndarray | None = None, expand: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions and BM25 scores of the ``k`` best chunks sharing a term with ``query``."""
        if subset is not None and not len(subset):
            return _empty()
        search = self.sparse_search(query, k, expand, _restriction(subset))
        return self.engine.search(self.collection, [search])[0] if search else _empty()


class QdrantRetrieval:
    """Both rankings of a hybrid search in one request to Qdrant, filters as payload filters."""

    def __init__(self, dense: QdrantStore, lexical: QdrantLexical):
        self._dense = dense
        self._lexical = lexical

    def rankings(
        self, query: str, vector: np.ndarray | None, depth: int, filters: Filters, lexical: bool = True, expand: bool = True
    ) -> tuple[Ranking | None, Ranking | None]:
        where = conditions(filters)
        searches: list[Search] = []
        if vector is not None and len(self._dense):
            limit = min(depth, len(self._dense))
            searches.append(Search(DENSE, np.asarray(vector, dtype=np.float32), limit, where, max(HNSW_EF_SEARCH, limit)))
        sparse = self._lexical.sparse_search(query, depth, expand, where) if lexical else None
        if sparse is not None:
            searches.append(sparse)
        results = iter(self._dense.engine.search(self._dense.collection, searches) if searches else [])
        empty = Ranking(*_empty())
        dense = (Ranking(*next(results)) if len(self._dense) else empty) if vector is not None else None
        words = (Ranking(*next(results)) if sparse is not None else empty) if lexical else None
        return dense, words
