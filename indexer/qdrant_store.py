"""Qdrant behind the ``VectorStore`` protocol: for corpora past what one machine's FAISS should hold.

Point ids are chunk positions, so a search answers with the same positions as ``FaissStore``. The store
lives where its ``location`` says: ``":memory:"`` (tests), a folder (Qdrant's local mode, embedded in this
process) or an ``http(s)://`` URL of a Qdrant server or cluster. Vectors are normalised, so the dot product
is the cosine similarity and scores equal FAISS's inner products.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from qdrant_client import QdrantClient, models

from .vectorstore import PARAMS_FILE

MEMORY = ":memory:"
DEFAULT_COLLECTION = "stadshus"
UPLOAD_BATCH = 1024
# The same graph shape as FaissStore's HNSW, so the two engines are compared like for like.
HNSW_M = 32
HNSW_EF_CONSTRUCT = 80
HNSW_EF_SEARCH = 96
DISTANCES = {"dot": models.Distance.DOT, "cosine": models.Distance.COSINE}


def open_client(location: str, api_key: str | None = None) -> QdrantClient:
    """A client for ``location``: ``":memory:"``, a local folder, or a server URL."""
    if location == MEMORY:
        return QdrantClient(location=MEMORY)
    if location.startswith(("http://", "https://")):
        return QdrantClient(url=location, api_key=api_key)
    return QdrantClient(path=location)


class QdrantStore:
    """Nearest neighbours by inner product in one Qdrant collection, addressed by chunk position."""

    def __init__(self, client: QdrantClient, collection: str, location: str):
        if not client.collection_exists(collection):
            raise ValueError(f"Qdrant has no collection {collection!r} at {location}")
        self._client = client
        self.collection = collection
        self.location = location
        self._remote = location.startswith(("http://", "https://"))
        self._size = client.count(collection, exact=True).count
        self.dim = int(client.get_collection(collection).config.params.vectors.size)

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        location: str = MEMORY,
        collection: str = DEFAULT_COLLECTION,
        distance: Literal["dot", "cosine"] = "dot",
        api_key: str | None = None,
    ) -> QdrantStore:
        """Create (or replace) ``collection`` at ``location`` holding ``vectors``; row i gets point id i."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 1
        client = open_client(location, api_key)
        if client.collection_exists(collection):
            client.delete_collection(collection)
        client.create_collection(
            collection,
            vectors_config=models.VectorParams(size=dim, distance=DISTANCES[distance]),
            hnsw_config=models.HnswConfigDiff(m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCT),
        )
        if len(vectors):
            client.upload_collection(collection, vectors=vectors, ids=range(len(vectors)), batch_size=UPLOAD_BATCH, wait=True)
        return cls(client, collection, location)

    @classmethod
    def connect(cls, location: str, collection: str = DEFAULT_COLLECTION, api_key: str | None = None) -> QdrantStore:
        """The existing ``collection`` (or alias) at ``location``."""
        return cls(open_client(location, api_key), collection, location)

    def __len__(self) -> int:
        return self._size

    def search(self, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions and scores of the ``k`` best points, best first; only points in ``subset`` when given."""
        if not self._size or k <= 0 or (subset is not None and not len(subset)):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        restriction = None
        if subset is not None:
            restriction = models.Filter(must=[models.HasIdCondition(has_id=[int(p) for p in subset])])
        points = self._client.query_points(
            self.collection,
            query=np.asarray(query, dtype=np.float32).reshape(-1),
            limit=min(k, self._size),
            query_filter=restriction,
            # Local mode searches exactly and warns about graph parameters, so they go to servers only.
            search_params=models.SearchParams(hnsw_ef=max(HNSW_EF_SEARCH, k)) if self._remote else None,
            with_payload=False,
        ).points
        positions = np.array([point.id for point in points], dtype=np.int64)
        scores = np.array([point.score for point in points], dtype=np.float32)
        return positions, scores

    def vector(self, position: int) -> np.ndarray:
        """The stored vector of point ``position``."""
        found = self._client.retrieve(self.collection, ids=[int(position)], with_vectors=True)
        if not found:
            raise IndexError(f"no vector at position {position} (the store holds {self._size})")
        return np.asarray(found[0].vector, dtype=np.float32)

    def save(self, directory: Path) -> None:
        """Record where the collection lives; its points stay in Qdrant (the local folder or the server).

        An in-memory store has nowhere to persist to, so saving one is an error.
        """
        if self.location == MEMORY:
            raise ValueError("an in-memory Qdrant store cannot be saved: build it with a folder or a server URL")
        directory.mkdir(parents=True, exist_ok=True)
        params = {"backend": "qdrant", "location": self.location, "collection": self.collection, "size": self._size}
        (directory / PARAMS_FILE).write_text(json.dumps(params), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, api_key: str | None = None) -> QdrantStore:
        """Reconnect to the store recorded by ``save``; its size must match what was saved."""
        params = json.loads((directory / PARAMS_FILE).read_text(encoding="utf-8"))
        if params.get("backend") != "qdrant":
            raise ValueError(f"{directory} holds a {params.get('backend')!r} store, not a Qdrant one")
        store = cls.connect(params["location"], params["collection"], api_key)
        if len(store) != params["size"]:
            raise ValueError(
                f"the Qdrant collection {params['collection']!r} holds {len(store)} points, {params['size']} were saved"
            )
        return store

    def publish(self, alias: str) -> None:
        """Point ``alias`` at this collection in one atomic request, so readers of the alias switch builds at once."""
        self._client.update_collection_aliases(
            change_aliases_operations=[
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias)),
                models.CreateAliasOperation(
                    create_alias=models.CreateAlias(collection_name=self.collection, alias_name=alias)
                ),
            ]
        )

    def close(self) -> None:
        """Release the client (in local mode this frees the folder's lock for another process)."""
        self._client.close()
