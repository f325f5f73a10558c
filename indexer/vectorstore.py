"""Vector stores behind one protocol. FAISS is the default; other engines implement the same four methods."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

VECTORS_FILE = "vectors.npy"
FAISS_FILE = "dense.faiss"
PARAMS_FILE = "vectorstore.json"
# Below this many vectors exact search is fast enough; above it an HNSW graph answers in ~constant time.
HNSW_THRESHOLD = 200_000


class VectorStore(Protocol):
    """Nearest neighbours by inner product over normalised vectors, addressed by chunk position."""

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions and scores of the ``k`` best rows, best first; only rows in ``subset`` when given."""
        ...

    def vector(self, position: int) -> np.ndarray:
        """The stored vector at ``position``."""
        ...

    def save(self, directory: Path) -> None:
        """Write the store into ``directory``."""
        ...

    def __len__(self) -> int: ...


class FaissStore:
    """FAISS over the chunk vectors: exact (flat) while small, HNSW when large.

    The raw vectors are kept (memory-mapped when loaded) for exact search inside filters and for reuse
    when re-indexing.
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
        if subset is not None:
            # Filters select few rows: exact scores over just those rows beat over-fetching from the ANN.
            scores = self._vectors[subset] @ query[0]
            order = np.argsort(-scores, kind="stable")[:k]
            return subset[order].astype(np.int64), scores[order].astype(np.float32)
        scores, positions = self._search_one_thread(query, min(k, len(self)))
        keep = positions[0] >= 0
        return positions[0][keep].astype(np.int64), scores[0][keep]

    def _search_one_thread(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """One query is too little work to share between OpenMP threads: with concurrent requests or a busy
        machine the threads wait on each other (eval/bench/results/scale.json: latency_all_threads against
        latency). The setting is per calling thread and is restored."""
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return self._index.search(query, k)
        finally:
            faiss.omp_set_num_threads(threads)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / VECTORS_FILE, np.ascontiguousarray(self._vectors, dtype=np.float32), allow_pickle=False)
        faiss.write_index(self._index, str(directory / FAISS_FILE))
        (directory / PARAMS_FILE).write_text(json.dumps({"backend": "faiss", "kind": self.kind}), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, mmap: bool = True) -> FaissStore:
        """Load a store written by ``save``; vectors are memory-mapped so workers share them."""
        params = json.loads((directory / PARAMS_FILE).read_text(encoding="utf-8"))
        vectors = np.load(directory / VECTORS_FILE, mmap_mode="r" if mmap else None, allow_pickle=False)
        # IO_FLAG_MMAP_IFC maps the stored vectors of flat and HNSW indexes alike, so workers share them;
        # IO_FLAG_MMAP left a flat index's vectors in each worker's private memory (eval/bench/results/
        # scale.json: unmapped_index_memory against loaded_memory_after_queries).
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
        index = faiss.read_index(str(directory / FAISS_FILE), flags)
        return cls(vectors, index, params["kind"])
