"""One contract for every vector store: each implementation subclasses ``VectorStoreContract`` and provides
the ``store`` and ``empty_store`` fixtures and a way to reopen a saved store."""

from __future__ import annotations

import gc
from pathlib import Path

import faiss
import numpy as np
import pytest

from indexer.qdrant_store import QdrantStore
from indexer import vectorstore
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


class TestQdrantLocal(VectorStoreContract):
    @pytest.fixture
    def store(self, vectors, tmp_path):
        store = QdrantStore.build(vectors, location=str(tmp_path / "qdrant"))
        yield store
        store.close()

    @pytest.fixture
    def empty_store(self, tmp_path):
        store = QdrantStore.build(np.zeros((0, DIM), dtype=np.float32), location=str(tmp_path / "empty"))
        yield store
        store.close()

    def reopen(self, store: QdrantStore, directory: Path) -> QdrantStore:
        # Local mode locks its folder: the points must come back from disk in a new client.
        store.save(directory)
        store.close()
        return QdrantStore.load(directory)

    def test_an_in_memory_store_cannot_be_saved(self, vectors, tmp_path):
        store = QdrantStore.build(vectors)
        with pytest.raises(ValueError, match="in-memory"):
            store.save(tmp_path / "dense")

    def test_load_refuses_a_collection_of_another_size(self, vectors, tmp_path):
        location = str(tmp_path / "qdrant")
        saved = QdrantStore.build(vectors, location=location)
        saved.save(tmp_path / "dense")
        saved.close()
        # A later build replaced the collection behind the saved record.
        QdrantStore.build(vectors[:10], location=location).close()
        with pytest.raises(ValueError, match="10 points, 200 were saved"):
            QdrantStore.load(tmp_path / "dense")

    def test_publish_switches_an_alias_and_keeps_the_old_build(self, vectors, query, tmp_path):
        location = str(tmp_path / "qdrant")
        first = QdrantStore.build(vectors[:50], location=location, collection="build-1")
        first.publish("live")
        first.close()
        second = QdrantStore.build(vectors, location=location, collection="build-2")
        second.publish("live")
        second.close()
        live = QdrantStore.connect(location, "live")
        try:
            assert len(live) == SIZE
            assert live.search(query, 5)[0].tolist() == exact_top(vectors, query, 5).tolist()
        finally:
            live.close()
        # Requests still reading the previous build keep working until it is dropped.
        previous = QdrantStore.connect(location, "build-1")
        assert len(previous) == 50
        previous.close()
