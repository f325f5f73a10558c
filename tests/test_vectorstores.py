"""One contract for every vector store: each implementation subclasses ``VectorStoreContract`` and provides
the ``store`` and ``empty_store`` fixtures and a way to reopen a saved store."""

from __future__ import annotations

import gc
from pathlib import Path

import faiss
import numpy as np
import pytest

from indexer import vectorstore
from indexer.filtering import Filters
from indexer.qdrant_engines import DENSE, ClientEngine, EdgeEngine, Point, QdrantEngine, Search
from indexer.qdrant_store import CHUNK, KIND, QdrantStore, QdrantTarget, conditions
from indexer.vectorstore import FaissStore, VectorStore

SIZE, DIM = 200, 16


def normalised(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int, subset: np.ndarray | None = None) -> np.ndarray:
    """Brute-force positions of the k best rows (restricted to ``subset``)."""
    candidates = np.arange(len(vectors)) if subset is None else subset
    scores = vectors[candidates] @ query
    return candidates[np.argsort(-scores, kind="stable")[:k]]


class VectorStoreContract:
    """The behaviour every ``VectorStore`` must have. Subclasses provide ``store`` (over ``vectors``),
    ``empty_store`` and ``reopen``."""

    @pytest.fixture
    def vectors(self) -> np.ndarray:
        return normalised(np.random.default_rng(7).standard_normal((SIZE, DIM)))

    @pytest.fixture
    def query(self) -> np.ndarray:
        return normalised(np.random.default_rng(8).standard_normal(DIM))

    def reopen(self, store: VectorStore, directory: Path) -> VectorStore:
        """Save ``store`` into ``directory`` and load it back."""
        raise NotImplementedError

    def test_a_stored_vector_finds_itself_first(self, store, vectors):
        assert len(store) == SIZE
        for position in (0, 17, SIZE - 1):
            positions, scores = store.search(vectors[position], 1)
            assert positions.tolist() == [position]
            assert scores[0] == pytest.approx(1.0, abs=1e-5)

    def test_results_are_the_exact_ranking_best_first(self, store, vectors, query):
        positions, scores = store.search(query, 10)
        assert positions.tolist() == exact_top(vectors, query, 10).tolist()
        assert np.all(np.diff(scores) <= 1e-6)

    def test_scores_are_inner_products(self, store, vectors, query):
        positions, scores = store.search(query, 20)
        assert positions.dtype == np.int64
        np.testing.assert_allclose(scores, vectors[positions] @ query, atol=1e-5)

    def test_k_larger_than_the_store_returns_everything_once(self, store, vectors, query):
        positions, scores = store.search(query, SIZE + 50)
        assert sorted(positions.tolist()) == list(range(SIZE))
        assert len(scores) == SIZE
        assert np.all(np.diff(scores) <= 1e-6)

    def test_k_of_zero_returns_nothing(self, store, query):
        positions, scores = store.search(query, 0)
        assert len(positions) == len(scores) == 0

    def test_subset_restricts_results(self, store, vectors, query):
        subset = np.array([3, 9, 27, 81, 150, 199], dtype=np.int64)
        positions, scores = store.search(query, 4, subset)
        assert positions.tolist() == exact_top(vectors, query, 4, subset).tolist()
        np.testing.assert_allclose(scores, vectors[positions] @ query, atol=1e-5)
        everything, _ = store.search(query, 50, subset)
        assert sorted(everything.tolist()) == subset.tolist()

    def test_a_stored_vector_outside_the_subset_is_not_returned(self, store, vectors):
        positions, _ = store.search(vectors[5], 3, np.array([6, 7, 8], dtype=np.int64))
        assert 5 not in positions.tolist()

    def test_empty_subset_returns_nothing(self, store, query):
        positions, scores = store.search(query, 5, np.zeros(0, dtype=np.int64))
        assert len(positions) == len(scores) == 0

    def test_vector_returns_the_stored_row(self, store, vectors):
        np.testing.assert_allclose(store.vector(42), vectors[42], atol=1e-6)

    def test_empty_store_answers_nothing(self, empty_store, query):
        assert len(empty_store) == 0
        positions, scores = empty_store.search(query, 5)
        assert len(positions) == len(scores) == 0

    def test_save_and_load_round_trip(self, store, vectors, query, tmp_path):
        before = store.search(query, 10)
        loaded = self.reopen(store, tmp_path / "dense")
        assert len(loaded) == SIZE
        after = loaded.search(query, 10)
        assert after[0].tolist() == before[0].tolist()
        np.testing.assert_allclose(after[1], before[1], atol=1e-6)
        np.testing.assert_allclose(loaded.vector(SIZE - 1), vectors[SIZE - 1], atol=1e-6)


class TestFaissFlat(VectorStoreContract):
    kind = "flat"

    @pytest.fixture
    def store(self, vectors) -> FaissStore:
        return FaissStore(vectors, kind=self.kind)

    @pytest.fixture
    def empty_store(self) -> FaissStore:
        return FaissStore(np.zeros((0, DIM), dtype=np.float32), kind=self.kind)

    def reopen(self, store: FaissStore, directory: Path) -> FaissStore:
        store.save(directory)
        loaded = FaissStore.load(directory)
        assert loaded.kind == self.kind
        return loaded

    def test_search_leaves_the_callers_thread_count_alone(self, store, query):
        # Searches pin one OpenMP thread for themselves; builds on the same thread must keep theirs.
        original = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(3)
        try:
            store.search(query, 5)
            assert faiss.omp_get_max_threads() == 3
        finally:
            faiss.omp_set_num_threads(original)

    def test_a_large_subset_gives_the_exact_ranking_of_its_rows(self, store, vectors, query, monkeypatch):
        # An HNSW store over-fetches from the graph for filters above OVERFETCH_SHARE; a flat one scores exactly.
        monkeypatch.setattr(vectorstore, "OVERFETCH_SHARE", 0.1)
        subset = np.arange(0, SIZE, 2, dtype=np.int64)
        positions, scores = store.search(query, 10, subset)
        assert positions.tolist() == exact_top(vectors, query, 10, subset).tolist()
        np.testing.assert_allclose(scores, vectors[positions] @ query, atol=1e-5)
        everything, _ = store.search(query, len(subset), subset)
        assert sorted(everything.tolist()) == subset.tolist()

    def test_loaded_vectors_are_a_read_only_view_that_outlives_the_store(self, store, vectors, tmp_path):
        store.save(tmp_path / "dense")
        loaded_vectors = FaissStore.load(tmp_path / "dense").vectors
        gc.collect()
        np.testing.assert_array_equal(loaded_vectors, vectors)
        with pytest.raises(ValueError, match="read-only"):
            loaded_vectors[0, 0] = 2.0


class TestFaissHnsw(TestFaissFlat):
    kind = "hnsw"


def qdrant_store(engine: QdrantEngine, vectors: np.ndarray, collection: str = "stadshus-test") -> QdrantStore:
    """A collection of ``vectors`` laid out as a build writes chunks (row i is point i), read as a store."""
    engine.create(collection, QdrantTarget("unused", "stadshus").spec(DIM))
    engine.upsert(collection, [Point(i, {DENSE: row}, payload={KIND: CHUNK}) for i, row in enumerate(vectors)])
    engine.seal(collection)
    return QdrantStore(engine, collection)


class QdrantContract(VectorStoreContract):
    """The contract on a real Qdrant engine; subclasses give ``open_engine(folder)``."""

    def open_engine(self, folder: Path) -> QdrantEngine:
        raise NotImplementedError

    @pytest.fixture
    def engine(self, tmp_path):
        engine = self.open_engine(tmp_path / "qdrant")
        yield engine
        engine.close()

    @pytest.fixture
    def store(self, engine, vectors) -> QdrantStore:
        return qdrant_store(engine, vectors)

    @pytest.fixture
    def empty_store(self, engine) -> QdrantStore:
        return qdrant_store(engine, np.zeros((0, DIM), dtype=np.float32), "stadshus-empty")

    def reopen(self, store: QdrantStore, directory: Path) -> QdrantStore:
        # The points must come back from disk through a new engine (local mode locks its folder meanwhile).
        store.engine.close()
        return QdrantStore(self.open_engine(self.folder(store.engine)), store.collection)

    def folder(self, engine: QdrantEngine) -> Path:
        return Path(engine.location.partition(":")[2])

    def test_an_alias_switches_in_one_step_and_the_old_collection_stays(self, engine, vectors, query):
        qdrant_store(engine, vectors[:50], "build-1")
        engine.point_alias("live", "build-1")
        qdrant_store(engine, vectors, "build-2")
        assert engine.alias_target("live") == "build-1"
        engine.point_alias("live", "build-2")
        assert engine.alias_target("live") == "build-2"
        live = QdrantStore(engine, engine.alias_target("live"))
        assert len(live) == SIZE
        assert live.search(query, 5)[0].tolist() == exact_top(vectors, query, 5).tolist()
        # Requests still reading the previous build keep working until it is dropped.
        assert len(QdrantStore(engine, "build-1")) == 50
        engine.drop("build-1")
        assert "build-1" not in engine.collections()

    def test_payload_filters_select_as_the_positions_do(self, engine, vectors, query):
        payloads = [{KIND: CHUNK, "doc_id": f"d{i % 4}", "districts": ["Kista"] if i % 3 else [], "year_first": 2015 + i % 5,
                     "year_last": 2016 + i % 5} for i in range(SIZE)]
        engine.create("filtered", QdrantTarget("unused", "stadshus").spec(DIM))
        engine.upsert("filtered", [Point(i, {DENSE: row}, payload=payloads[i]) for i, row in enumerate(vectors)])
        engine.seal("filtered")
        where = conditions(Filters(districts=("Kista",), doc_ids=("d1", "d2"), year_from=2018, year_to=2018))
        allowed = np.array([i for i, p in enumerate(payloads) if p["districts"] and p["doc_id"] in ("d1", "d2")
                            and p["year_last"] >= 2018 and p["year_first"] <= 2018])
        ids, scores = engine.search("filtered", [Search(DENSE, query, SIZE, where)])[0]
        assert sorted(ids.tolist()) == allowed.tolist()
        assert ids[:5].tolist() == exact_top(vectors, query, 5, allowed).tolist()


class TestQdrantLocal(QdrantContract):
    """qdrant-client's local mode: Qdrant's API and behaviour in pure Python (exact search)."""

    def open_engine(self, folder: Path) -> QdrantEngine:
        return ClientEngine(f"local:{folder}", None)


class TestQdrantEdge(QdrantContract):
    """qdrant-edge: the Qdrant engine itself in this process (segments, HNSW, payload indexes)."""

    def open_engine(self, folder: Path) -> QdrantEngine:
        return EdgeEngine(folder)

    def test_a_sealed_collection_is_read_by_a_second_engine_at_once(self, engine, store, vectors, query):
        # The service reads while a build in another process writes a new collection beside it.
        other = EdgeEngine(self.folder(engine))
        try:
            assert QdrantStore(other, store.collection).search(query, 5)[0].tolist() == exact_top(vectors, query, 5).tolist()
        finally:
            other.close()

    def test_an_hnsw_graph_finds_the_exact_neighbours(self, tmp_path):
        # Enough vectors for the optimiser to build a graph (above the full-scan threshold), ...
        # clustered, as embeddings of text are (uniform noise in 256 dimensions has no neighbours to speak of).
        rng = np.random.default_rng(9)
        centres = rng.standard_normal((60, 256))
        rows = normalised(centres[rng.integers(0, 60, 12_000)] + 0.6 * rng.standard_normal((12_000, 256)))
        engine = EdgeEngine(tmp_path / "big")
        try:
            engine.create("big", QdrantTarget("unused", "stadshus").spec(256))
            engine.upsert("big", [Point(i, {DENSE: row}, payload={KIND: CHUNK}) for i, row in enumerate(rows)])
            engine.seal("big")
            assert engine._shard("big").info().indexed_vectors_count == len(rows)
            store = QdrantStore(engine, "big")
            queries = normalised(centres[:20] + 0.6 * rng.standard_normal((20, 256)))
            found = [set(store.search(q, 10)[0].tolist()) & set(exact_top(rows, q, 10).tolist()) for q in queries]
            # ... whose walk finds nearly all of the exact top 10 (HNSW M=32, ef 96, as FAISS's).
            assert sum(map(len, found)) / (10 * len(queries)) >= 0.95
        finally:
            engine.close()
