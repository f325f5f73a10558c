"""Vector stores behind one protocol. FAISS is the default; Qdrant (indexer.qdrant_store) implements the same methods."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

FAISS_FILE = "dense.faiss"
PARAMS_FILE = "vectorstore.json"
# Below this many vectors exact search is fast enough; above it an HNSW graph answers in ~constant time.
HNSW_THRESHOLD = 200_000
# A filter allowing at least this share of an HNSW store's rows is searched through the graph, over-fetching
# and keeping the allowed rows; smaller ones are scored exactly over just their rows. FAISS's own filtered
# graph walk (a selector) found 0.2-0.75 of the exact top 10 for filters of 0.5-25 % (docs/scaling.md).
OVERFETCH_SHARE = 0.05


class VectorStore(Protocol):
    """Nearest neighbours by inner product over normalised vectors, addressed by chunk position."""

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions and scores of the ``k`` best rows, best first; only rows in ``subset`` when given."""
        ...

    def vector(self, position: int) -> np.ndarray:
        """The stored vector at ``position``."""
        ...

    def __len__(self) -> int: ...


class FaissStore:
    """FAISS over the chunk vectors: exact (flat) while small, HNSW when large.

    The vectors are stored once, inside the FAISS index; ``vectors`` views them there (memory-mapped when
    loaded) for exact search inside filters and for reuse when re-indexing.
    """

    def __init__(self, vectors: np.ndarray, index: faiss.Index | None = None, kind: str | None = None):
        self._vectors = vectors
        self.kind = kind or ("hnsw" if len(vectors) > HNSW_THRESHOLD else "flat")
        self._index = index if index is not None else self._build(vectors, self.kind)

    @staticmethod
    def _build(vectors: np.ndarray, kind: str) -> faiss.Index:
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 1
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 96
        else:
            index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return index

    def __len__(self) -> int:
        return len(self._vectors)

    @property
    def vectors(self) -> np.ndarray:
        """All stored vectors, row i for chunk position i."""
        return self._vectors

    def vector(self, position: int) -> np.ndarray:
        return np.asarray(self._vectors[position], dtype=np.float32)

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if not len(self) or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if subset is None and k >= len(self) and self.kind != "flat":
            # A graph walk may miss some rows when asked for all of them; scoring all rows is no slower.
            subset = np.arange(len(self), dtype=np.int64)
        if subset is not None and self.kind == "hnsw" and len(subset) >= OVERFETCH_SHARE * len(self):
            found = self._search_overfetched(query, k, subset)
            if found is not None:
                return found
        if subset is not None:
            # Exact scores over just the allowed rows, by FAISS's own single-query kernel: numpy's BLAS
            # matrix-vector product spreads one query over threads and stalls under concurrent requests.
            rows = np.ascontiguousarray(self._vectors[subset], dtype=np.float32)
            scores, found = self._one_thread(faiss.knn, query, rows, min(k, len(rows)), metric=faiss.METRIC_INNER_PRODUCT)
            keep = found[0] >= 0
            return subset[found[0][keep]].astype(np.int64), scores[0][keep]
        scores, positions = self._one_thread(self._index.search, query, min(k, len(self)))
        keep = positions[0] >= 0
        return positions[0][keep].astype(np.int64), scores[0][keep]

    def _search_overfetched(self, query: np.ndarray, k: int, subset: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The graph's best rows, enough of them that about twice ``k`` are allowed, filtered to ``subset``
        (ascending); None when fewer than ``k`` allowed rows came back."""
        fetch = min(len(self), int(np.ceil(2 * k * len(self) / len(subset))))
        params = faiss.SearchParametersHNSW(efSearch=max(self._index.hnsw.efSearch, fetch))
        scores, positions = self._one_thread(self._index.search, query, fetch, params=params)
        positions, scores = positions[0], scores[0]
        slots = np.minimum(np.searchsorted(subset, positions), len(subset) - 1)
        allowed = (positions >= 0) & (subset[slots] == positions)
        if allowed.sum() < min(k, len(subset)):
            return None
        return positions[allowed][:k].astype(np.int64), scores[allowed][:k]

    @staticmethod
    def _one_thread(search, *args, **kwargs):
        """Run ``search`` with one OpenMP thread. One query is too little work to share between threads: with
        concurrent requests or a busy machine they wait on each other (eval/bench/results/scale.json:
        latency_all_threads against latency). The setting is per calling thread and is restored."""
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return search(*args, **kwargs)
        finally:
            faiss.omp_set_num_threads(threads)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(directory / FAISS_FILE))
        (directory / PARAMS_FILE).write_text(json.dumps({"backend": "faiss", "kind": self.kind}), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, mmap: bool = True) -> FaissStore:
        """Load a store written by ``save``; vectors are memory-mapped so workers share them."""
        params = json.loads((directory / PARAMS_FILE).read_text(encoding="utf-8"))
        # IO_FLAG_MMAP_IFC maps the stored vectors of flat and HNSW indexes alike, so workers share them;
        # IO_FLAG_MMAP left a flat index's vectors in each worker's private memory (eval/bench/results/
        # scale.json: unmapped_index_memory against loaded_memory_after_queries).
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
        index = faiss.read_index(str(directory / FAISS_FILE), flags)
        return cls(_stored_vectors(index), index, params["kind"])


def _stored_vectors(index: faiss.Index) -> np.ndarray:
    """A read-only view of the vectors a flat or HNSW index stores: no copy, so mapped pages stay shared.
    The view keeps the index alive (its memory is the index's)."""
    storage = index if isinstance(index, faiss.IndexFlat) else faiss.downcast_index(index.storage)
    if not index.ntotal:
        return np.zeros((0, index.d), dtype=np.float32)
    view = faiss.rev_swig_ptr(storage.get_xb(), index.ntotal * index.d)
    return np.asarray(_IndexMemory(index, view.__array_interface__["data"][0], (index.ntotal, index.d)))


class _IndexMemory:
    """Exposes an index's vector memory to numpy while holding a reference to the index."""

    def __init__(self, index: faiss.Index, address: int, shape: tuple[int, int]):
        self._index = index
        self.__array_interface__ = {"shape": shape, "typestr": "<f4", "data": (address, True), "version": 3}
