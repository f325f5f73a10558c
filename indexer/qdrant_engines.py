"""Two ways to reach the Qdrant engine, behind one small interface:

* ``ClientEngine`` (qdrant-client): a Qdrant server or cluster at an ``http(s)://`` URL, or qdrant-client's
  local mode in a folder (``local:PATH``; pure Python, exact search, one process at a time).
* ``EdgeEngine`` (qdrant-edge): the Qdrant engine itself in this process (``edge:PATH``): its segments,
  HNSW graphs, sparse inverted index and payload indexes, one shard per collection.

Both are optional (``pip install 'stadshus[qdrant]'``) and imported only when a Qdrant store is used.
Requests and filters are described here in plain terms (``Search``, ``Match``, ``Between``, ``HasIds``)
and translated into each library's models.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from .lexicon import SparseVector
from .problems import IndexProblem

DENSE = "dense"
SPARSE = "bm25"
SENTENCE = "sentence"
UPLOAD_BATCH = 512
# Qdrant's own default: below this many kilobytes of vectors a segment is scanned, not walked as a graph.
FULL_SCAN_THRESHOLD_KB = 10_000
EXTRA_HINT = "installera det med `pip install 'stadshus[qdrant]'` eller sätt STADSHUS_STORE=faiss"


class QdrantUnavailable(IndexProblem):
    """The Qdrant store is configured but its library is missing or the engine cannot be reached."""


def require(module: str) -> Any:
    """Import ``module`` (qdrant_client or qdrant_edge), or say in Swedish how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.replace("_", "-") + ("-py" if module == "qdrant_edge" else "")
        raise QdrantUnavailable(f"Qdrant-stödet ({package}) är inte installerat: {EXTRA_HINT}.") from exc


@dataclass(frozen=True, slots=True)
class Match:
    """A payload field holding any of ``values`` (a keyword list field matches if one of its values does)."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Between:
    """A numeric payload field within ``gte``..``lte`` (either open); points without the field never pass."""

    key: str
    gte: int | None = None
    lte: int | None = None


@dataclass(frozen=True, slots=True)
class HasIds:
    """Points whose id is one of ``ids``."""

    ids: tuple[int, ...]


Condition = Match | Between | HasIds


@dataclass(frozen=True, slots=True)
class Search:
    """One nearest-neighbour search: a dense vector or a sparse one, against the named vector ``using``."""

    using: str
    vector: np.ndarray | SparseVector
    limit: int
    where: tuple[Condition, ...] = ()
    hnsw_ef: int | None = None


@dataclass(frozen=True, slots=True)
class Point:
    """One point to write: its id, named dense and sparse vectors, and payload."""

    id: int
    dense: dict[str, np.ndarray]
    sparse: dict[str, SparseVector] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    """How a collection is laid out: named vectors, graph shape, payload indexes, sharding, quantization.
    ``stored`` vectors are only ever read by point id: float16, without a graph."""

    dense: dict[str, int]
    sparse: tuple[str, ...]
    payload_indexes: dict[str, Literal["keyword", "integer"]]
    stored: dict[str, int] = field(default_factory=dict)
    hnsw_m: int = 32
    hnsw_ef_construct: int = 80
    shards: int = 1
    replicas: int = 1
    quantization: Literal["none", "int8"] = "none"


class QdrantEngine(Protocol):
    """What Stadshus asks of Qdrant; ``ClientEngine`` and ``EdgeEngine`` implement it."""

    location: str

    def create(self, name: str, spec: CollectionSpec) -> None:
        """Create collection ``name`` (it must not exist)."""
        ...

    def upsert(self, name: str, points: Sequence[Point]) -> None:
        """Write ``points`` into ``name``."""
        ...

    def seal(self, name: str) -> None:
        """Make everything written durable and indexed: after this the collection may be published."""
        ...

    def search(self, name: str, searches: Sequence[Search]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each search, the ids and scores of its best points, best first (one round trip)."""
        ...

    def vectors(self, name: str, ids: Sequence[int], using: str) -> dict[int, np.ndarray]:
        """The stored ``using`` vectors of the points ``ids`` that exist."""
        ...

    def scroll(self, name: str, using: str, fields: Sequence[str]) -> Iterator[tuple[int, dict[str, Any], np.ndarray]]:
        """Every point with a ``using`` vector: id, the payload ``fields`` and that vector."""
        ...

    def count(self, name: str, where: Sequence[Condition] = ()) -> int:
        """How many points pass ``where``."""
        ...

    def collections(self) -> list[str]:
        """The names of every collection."""
        ...

    def alias_target(self, alias: str) -> str | None:
        """The collection ``alias`` points at, or None."""
        ...

    def point_alias(self, alias: str, name: str) -> None:
        """Point ``alias`` at collection ``name`` in one atomic step."""
        ...

    def drop(self, name: str) -> None:
        """Delete collection ``name`` if it exists."""
        ...

    def close(self) -> None:
        """Release the engine (local mode: its folder's lock; edge: its open shards)."""
        ...


def open_engine(url: str, api_key: str | None = None) -> QdrantEngine:
    """The engine at ``url``: ``http(s)://`` (server or cluster), ``local:PATH`` or ``edge:PATH``.

    One engine per location and process: qdrant-client's local mode locks its folder, so a build started
    from the service (the admin re-index) must share the service's client."""
    return _open_engine(url, api_key)


@lru_cache(maxsize=None)
def _open_engine(url: str, api_key: str | None) -> QdrantEngine:
    if url.startswith(("http://", "https://")):
        return ClientEngine(url, api_key)
    if url.startswith("local:"):
        return ClientEngine(url, None)
    if url.startswith("edge:"):
        return EdgeEngine(Path(url.removeprefix("edge:")))
    raise QdrantUnavailable(
        f"STADSHUS_QDRANT_URL={url!r} är ingen giltig adress: använd http(s)://värd:6333, edge:MAPP eller local:MAPP"
    )


class ClientEngine:
    """Qdrant through qdrant-client: a server or cluster, or local mode in a folder."""

    def __init__(self, url: str, api_key: str | None):
        client_module = require("qdrant_client")
        self.models = client_module.models
        self.location = url
        self.remote = not url.startswith("local:")
        if self.remote:
            self._client = client_module.QdrantClient(url=url, api_key=api_key, timeout=60)
        else:
            folder = Path(url.removeprefix("local:"))
            folder.mkdir(parents=True, exist_ok=True)
            self._client = client_module.QdrantClient(path=str(folder))
        # Closed when the engine goes, or at exit while modules can still be imported: left to the client's
        # own __del__ at interpreter shutdown, local mode prints an ImportError traceback.
        weakref.finalize(self, self._client.close)
        try:
            self._client.get_collections()
        except Exception as exc:  # the client raises transport errors of several libraries
            raise QdrantUnavailable(f"Qdrant svarar inte på {url} ({type(exc).__name__}: {exc})") from exc

    def create(self, name: str, spec: CollectionSpec) -> None:
        m = self.models
        quantization = None
        if spec.quantization == "int8":
            quantization = m.ScalarQuantization(scalar=m.ScalarQuantizationConfig(type=m.ScalarType.INT8, always_ram=True))
        stored = {
            key: m.VectorParams(size=dim, distance=m.Distance.DOT, hnsw_config=m.HnswConfigDiff(m=0), datatype=m.Datatype.FLOAT16)
            for key, dim in spec.stored.items()
        }
        self._client.create_collection(
            name,
            vectors_config={**{key: m.VectorParams(size=dim, distance=m.Distance.DOT) for key, dim in spec.dense.items()}, **stored},
            sparse_vectors_config={key: m.SparseVectorParams(modifier=m.Modifier.IDF) for key in spec.sparse},
            hnsw_config=m.HnswConfigDiff(m=spec.hnsw_m, ef_construct=spec.hnsw_ef_construct),
            shard_number=spec.shards if self.remote else None,
            replication_factor=spec.replicas if self.remote else None,
            quantization_config=quantization,
        )
        if self.remote:
            # Local mode has no payload indexes (it scans) and warns about each.
            schema = {"keyword": m.PayloadSchemaType.KEYWORD, "integer": m.PayloadSchemaType.INTEGER}
            for key, kind in spec.payload_indexes.items():
                self._client.create_payload_index(name, key, field_schema=schema[kind], wait=True)

    def upsert(self, name: str, points: Sequence[Point]) -> None:
        m = self.models
        structs = [
            m.PointStruct(
                id=point.id,
                vector={
                    **{key: vector.tolist() for key, vector in point.dense.items()},
                    **{key: m.SparseVector(indices=v.indices.tolist(), values=v.values.tolist()) for key, v in point.sparse.items()},
                },
                payload=point.payload,
            )
            for point in points
        ]
        for begin in range(0, len(structs), UPLOAD_BATCH):
            self._client.upsert(name, structs[begin : begin + UPLOAD_BATCH], wait=True)

    def seal(self, name: str) -> None:
        # Every upsert waited for its acknowledgement (wait=True); the server indexes in the background.
        return None

    def search(self, name: str, searches: Sequence[Search]) -> list[tuple[np.ndarray, np.ndarray]]:
        m = self.models
        requests = [
            m.QueryRequest(
                query=_client_vector(m, s.vector),
                using=s.using,
                limit=s.limit,
                filter=self._filter(s.where),
                params=m.SearchParams(hnsw_ef=s.hnsw_ef) if self.remote and s.hnsw_ef else None,
                with_payload=False,
            )
            for s in searches
        ]
        responses = self._client.query_batch_points(name, requests=requests)
        return [_ranking([(p.id, p.score) for p in response.points]) for response in responses]

    def vectors(self, name: str, ids: Sequence[int], using: str) -> dict[int, np.ndarray]:
        found = self._client.retrieve(name, ids=[int(i) for i in ids], with_vectors=[using], with_payload=False)
        return {int(r.id): np.asarray(r.vector[using], dtype=np.float32) for r in found if r.vector and using in r.vector}

    def scroll(self, name: str, using: str, fields: Sequence[str]) -> Iterator[tuple[int, dict[str, Any], np.ndarray]]:
        return _scrolled(
            lambda offset: self._client.scroll(
                name, limit=UPLOAD_BATCH, offset=offset, with_payload=list(fields), with_vectors=[using]
            ),
            using,
        )

    def count(self, name: str, where: Sequence[Condition] = ()) -> int:
        return self._client.count(name, count_filter=self._filter(where), exact=True).count

    def collections(self) -> list[str]:
        return [c.name for c in self._client.get_collections().collections]

    def alias_target(self, alias: str) -> str | None:
        aliases = {a.alias_name: a.collection_name for a in self._client.get_aliases().aliases}
        return aliases.get(alias)

    def point_alias(self, alias: str, name: str) -> None:
        m = self.models
        # One request: delete and create are applied together, so readers never find the alias missing.
        self._client.update_collection_aliases(
            change_aliases_operations=[
                m.DeleteAliasOperation(delete_alias=m.DeleteAlias(alias_name=alias)),
                m.CreateAliasOperation(create_alias=m.CreateAlias(collection_name=name, alias_name=alias)),
            ]
        )

    def drop(self, name: str) -> None:
        if self._client.collection_exists(name):
            self._client.delete_collection(name)

    def close(self) -> None:
        self._client.close()

    def _filter(self, where: Sequence[Condition]):
        if not where:
            return None
        m = self.models
        must = []
        for condition in where:
            if isinstance(condition, Match):
                must.append(m.FieldCondition(key=condition.key, match=m.MatchAny(any=list(condition.values))))
            elif isinstance(condition, Between):
                must.append(m.FieldCondition(key=condition.key, range=m.Range(gte=condition.gte, lte=condition.lte)))
            else:
                must.append(m.HasIdCondition(has_id=list(condition.ids)))
        return m.Filter(must=must)


def _client_vector(m: Any, vector: np.ndarray | SparseVector) -> Any:
    if isinstance(vector, SparseVector):
        return m.SparseVector(indices=vector.indices.tolist(), values=vector.values.tolist())
    return np.asarray(vector, dtype=np.float32).reshape(-1).tolist()


def _scrolled(
    page: Callable[[Any], tuple[Sequence[Any], Any]], using: str
) -> Iterator[tuple[int, dict[str, Any], np.ndarray]]:
    """The points of a collection that have vector ``using``, page by page: ``page(offset)`` gives a page
    of records and the next offset (None after the last), as both engines' scroll does."""
    offset = None
    while True:
        records, offset = page(offset)
        for record in records:
            if record.vector and using in record.vector:
                yield int(record.id), record.payload or {}, np.asarray(record.vector[using], dtype=np.float32)
        if offset is None:
            return


def _ranking(pairs: list[tuple[Any, float]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([int(i) for i, _ in pairs], dtype=np.int64), np.array([s for _, s in pairs], dtype=np.float32)


class EdgeEngine:
    """The Qdrant engine in process (qdrant-edge): one shard per collection under ``root/collections/``.

    Collections and aliases are this class's: an alias is a line of ``root/aliases.json``, replaced by an
    atomic rename as Qdrant's server replaces its alias file. Shards are written without a write-ahead
    log, so any number of processes can read a sealed one (a build writes a new collection, never an old
    one); ``seal`` optimises (builds the HNSW graph) and flushes before a collection may be published."""

    def __init__(self, root: Path):
        self.edge = require("qdrant_edge")
        self.root = root
        self.location = f"edge:{root}"
        self._shards: dict[str, Any] = {}

    def _path(self, name: str) -> Path:
        return self.root / "collections" / name

    def _shard(self, name: str):
        if name not in self._shards:
            path = self._path(name)
            if not path.is_dir():
                raise QdrantUnavailable(f"Qdrant (edge) har ingen samling {name!r} i {self.root}")
            self._shards[name] = self.edge.EdgeShard.load(str(path))
        return self._shards[name]

    def create(self, name: str, spec: CollectionSpec) -> None:
        e = self.edge
        quantization = None
        if spec.quantization == "int8":
            quantization = e.ScalarQuantizationConfig(type=e.ScalarType.Int8, memory=e.Memory.Pinned)
        stored = {
            key: e.EdgeVectorParams(
                size=dim,
                distance=e.Distance.Dot,
                datatype=e.VectorStorageDatatype.Float16,
                hnsw_config=e.HnswIndexConfig(m=0, ef_construct=spec.hnsw_ef_construct, full_scan_threshold=FULL_SCAN_THRESHOLD_KB),
            )
            for key, dim in spec.stored.items()
        }
        config = e.EdgeConfig(
            vectors={**{key: e.EdgeVectorParams(size=dim, distance=e.Distance.Dot) for key, dim in spec.dense.items()}, **stored},
            sparse_vectors={key: e.EdgeSparseVectorParams(modifier=e.Modifier.Idf) for key in spec.sparse},
            hnsw_config=e.HnswIndexConfig(
                m=spec.hnsw_m, ef_construct=spec.hnsw_ef_construct, full_scan_threshold=FULL_SCAN_THRESHOLD_KB
            ),
            quantization_config=quantization,
            wal_enabled=False,
        )
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        shard = e.EdgeShard.create(str(path), config)
        schema = {"keyword": e.PayloadSchemaType.Keyword, "integer": e.PayloadSchemaType.Integer}
        for key, kind in spec.payload_indexes.items():
            shard.update(e.UpdateOperation.create_field_index(key, schema[kind]))
        self._shards[name] = shard

    def upsert(self, name: str, points: Sequence[Point]) -> None:
        e = self.edge
        shard = self._shard(name)
        for begin in range(0, len(points), UPLOAD_BATCH):
            batch = [
                e.Point(
                    point.id,
                    {
                        **{key: vector.tolist() for key, vector in point.dense.items()},
                        **{key: e.SparseVector(v.indices.tolist(), v.values.tolist()) for key, v in point.sparse.items()},
                    },
                    point.payload,
                )
                for point in points[begin : begin + UPLOAD_BATCH]
            ]
            shard.update(e.UpdateOperation.upsert_points(batch))

    def seal(self, name: str) -> None:
        shard = self._shard(name)
        shard.optimize()
        shard.flush()

    def search(self, name: str, searches: Sequence[Search]) -> list[tuple[np.ndarray, np.ndarray]]:
        e = self.edge
        requests = [
            e.QueryRequest(
                limit=s.limit,
                query=e.Query.Nearest(_edge_vector(e, s.vector), using=s.using),
                filter=self._filter(s.where),
                params=e.SearchParams(hnsw_ef=s.hnsw_ef) if s.hnsw_ef else None,
                with_payload=False,
            )
            for s in searches
        ]
        results = self._shard(name).query_batch(e.QueryBatchRequest(requests))
        return [_ranking([(p.id, p.score) for p in points]) for points in results]

    def vectors(self, name: str, ids: Sequence[int], using: str) -> dict[int, np.ndarray]:
        found = self._shard(name).retrieve([int(i) for i in ids], with_payload=False, with_vector=[using])
        return {int(r.id): np.asarray(r.vector[using], dtype=np.float32) for r in found if r.vector and using in r.vector}

    def scroll(self, name: str, using: str, fields: Sequence[str]) -> Iterator[tuple[int, dict[str, Any], np.ndarray]]:
        e, shard = self.edge, self._shard(name)
        return _scrolled(
            lambda offset: shard.scroll(
                e.ScrollRequest(offset=offset, limit=UPLOAD_BATCH, with_payload=list(fields), with_vector=[using])
            ),
            using,
        )

    def count(self, name: str, where: Sequence[Condition] = ()) -> int:
        return self._shard(name).count(self.edge.CountRequest(exact=True, filter=self._filter(where)))

    def collections(self) -> list[str]:
        folder = self.root / "collections"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def _aliases(self) -> dict[str, str]:
        try:
            return json.loads((self.root / "aliases.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def alias_target(self, alias: str) -> str | None:
        return self._aliases().get(alias)

    def point_alias(self, alias: str, name: str) -> None:
        aliases = {**self._aliases(), alias: name}
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = self.root / f".aliases.{os.getpid()}.json"
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(aliases, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.root / "aliases.json")
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def drop(self, name: str) -> None:
        shard = self._shards.pop(name, None)
        if shard is not None:
            with contextlib.suppress(Exception):
                shard.close()
        shutil.rmtree(self._path(name), ignore_errors=True)

    def close(self) -> None:
        for name in list(self._shards):
            self._shards.pop(name).close()

    def _filter(self, where: Sequence[Condition]):
        if not where:
            return None
        e = self.edge
        must = []
        for condition in where:
            if isinstance(condition, Match):
                must.append(e.FieldCondition(condition.key, match=e.MatchAny(list(condition.values))))
            elif isinstance(condition, Between):
                must.append(e.FieldCondition(condition.key, range=e.RangeFloat(gte=condition.gte, lte=condition.lte)))
            else:
                must.append(e.HasIdCondition(set(condition.ids)))
        return e.Filter(must=must)


def _edge_vector(e: Any, vector: np.ndarray | SparseVector) -> Any:
    if isinstance(vector, SparseVector):
        return e.SparseVector(vector.indices.tolist(), vector.values.tolist())
    return np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
