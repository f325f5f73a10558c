"""Builds into Qdrant, on qdrant-edge (the engine in process) and qdrant-client's local mode: reuse of
unchanged vectors, the alias moved only when a build is complete (also under SIGKILL), old collections
dropped, and clear messages when Qdrant is missing or misconfigured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from indexer import qdrant_engines
from indexer.filtering import Filters
from indexer.pipeline import BuildReport, build_index
from indexer.qdrant_engines import QdrantUnavailable, open_engine
from indexer.qdrant_store import QdrantTarget
from indexer.storage import BUILDS, CURRENT, IndexMissing, StoredIndex, load_index
from indexer.settings import get_settings
from service.cli import app
from tests.conftest import make_settings
from tests.fakes import HashEmbedder
from tests.test_pipeline import ADDED, corpus, kill, start_build, wait_for_stage, write_document  # noqa: F401

ENGINES = ("edge", "local")


@pytest.fixture(params=ENGINES)
def url(request, tmp_path: Path) -> str:
    """Where the test's Qdrant lives, on each engine."""
    return f"{request.param}:{tmp_path / 'qdrant'}"


def build(corpus: Path, index: Path, url: str, embedder: HashEmbedder | None = None) -> BuildReport:
    return build_index(make_settings(index, corpus, store="qdrant", qdrant_url=url), embedder=embedder or HashEmbedder())


def load(index: Path, url: str) -> StoredIndex:
    return load_index(index, HashEmbedder.name, qdrant=QdrantTarget(url, "stadshus"))


def release(url: str) -> None:
    """Let another process open the engine: local mode holds its folder's lock while a client is open."""
    open_engine(url).close()
    qdrant_engines._open_engine.cache_clear()


def collections(url: str) -> list[str]:
    return sorted(name for name in open_engine(url).collections() if name.startswith("stadshus-"))


def test_a_build_is_served_by_its_alias_and_leaves_current_alone(tmp_path, corpus, url):
    report = build(corpus, tmp_path / "index", url)
    index = load(tmp_path / "index", url)
    assert index.path == report.build
    assert index.manifest.vector_store == "qdrant"
    assert open_engine(url).alias_target("stadshus") == index.manifest.collection
    assert len(index.dense) == len(index.chunks) == len(index.lexical) == report.chunks
    assert not (tmp_path / "index" / CURRENT).exists()
    assert (report.build / "lexicon").is_dir() and not (report.build / "dense").exists()


def test_unchanged_chunks_are_reused_by_content_hash(tmp_path, corpus, url):
    build(corpus, tmp_path / "index", url)
    before = load(tmp_path / "index", url)
    old = {chunk.indexed_text: before.dense.vector(p) for p, chunk in enumerate(before.chunks)}
    path = corpus / "skarholmen.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("under våren", "under hösten"), encoding="utf-8")
    embedder = HashEmbedder()
    report = build(corpus, tmp_path / "index", url, embedder)
    after = load(tmp_path / "index", url)
    assert report.embedded == report.sentences_embedded == 1
    assert embedder.calls == report.embedded + report.sentences_embedded
    assert report.reused == len(after.chunks) - 1
    for position, chunk in enumerate(after.chunks):
        if chunk.indexed_text in old:
            np.testing.assert_array_equal(after.dense.vector(position), old[chunk.indexed_text])


def test_moving_from_faiss_to_qdrant_embeds_nothing_again(tmp_path, corpus, url):
    build_index(make_settings(tmp_path / "index", corpus), embedder=HashEmbedder())
    embedder = HashEmbedder()
    report = build(corpus, tmp_path / "index", url, embedder)
    assert embedder.calls == 0 and report.reused == report.chunks
    # Both stores' builds stay: each prunes only its own.
    assert load_index(tmp_path / "index").manifest.store == "faiss"
    assert load(tmp_path / "index", url).manifest.store == "qdrant"


def test_old_collections_and_builds_are_pruned_to_the_previous_one(tmp_path, corpus, url):
    reports = []
    for round_ in range(3):
        write_document(corpus, f"extra{round_}.txt", ADDED[1])
        reports.append(build(corpus, tmp_path / "index", url))
    served = [r.build.name for r in reports[1:]]
    assert collections(url) == sorted(f"stadshus-{name}" for name in served)
    assert sorted(p.name for p in (tmp_path / "index" / BUILDS).iterdir()) == sorted(served)


@pytest.mark.parametrize(
    ("stage", "swapped"),
    [("embedding", False), ("qdrant", False), ("before-rename", False), ("before-alias", False), ("after-swap", True)],
)
def test_a_build_killed_at_any_stage_leaves_the_previous_alias_serving(tmp_path, corpus, url, stage, swapped):
    index_dir = tmp_path / "index"
    old = build(corpus, index_dir, url)
    write_document(corpus, *ADDED)
    marker = tmp_path / "stage-reached"
    release(url)
    process = start_build(index_dir, corpus, stage, marker, url)
    try:
        wait_for_stage(process, marker)
    finally:
        kill(process)

    index = load(index_dir, url)
    if swapped:
        assert len(index.documents) == 4
    else:
        assert index.path == old.build
        assert len(index.documents) == 3 and len(index.chunks) == old.chunks
    assert index.retrieval.rankings("medborgarvärdar", None, 5, Filters())[1].positions.size

    # The next build is not blocked by the killed one, embeds only what is new and drops its leftovers.
    embedder = HashEmbedder()
    report = build(corpus, index_dir, url, embedder)
    recovered = load(index_dir, url)
    added = sum(1 for chunk in recovered.chunks if chunk.doc_id == "alvsjo")
    assert embedder.calls == (0 if swapped else report.embedded + report.sentences_embedded)
    assert report.embedded == (0 if swapped else added) and added
    assert recovered.path == report.build and len(recovered.documents) == 4
    assert len(collections(url)) == 2


def test_a_missing_qdrant_library_is_explained_in_swedish(tmp_path, monkeypatch):
    # A None in sys.modules makes importing the module fail, as if it were not installed.
    monkeypatch.setitem(sys.modules, "qdrant_edge", None)
    monkeypatch.setitem(sys.modules, "qdrant_client", None)
    with pytest.raises(QdrantUnavailable, match=r"pip install 'stadshus\[qdrant\]'"):
        qdrant_engines.EdgeEngine(tmp_path / "qdrant")
    with pytest.raises(QdrantUnavailable, match="qdrant-client.* är inte installerat"):
        qdrant_engines.ClientEngine(f"local:{tmp_path / 'local'}", None)


def test_the_cli_says_what_is_wrong_without_a_traceback(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("STADSHUS_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("STADSHUS_STORE", "qdrant")
    monkeypatch.setenv("STADSHUS_QDRANT_URL", "qdrant.example:6333")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["search", "medborgarvärdar"])
        assert result.exit_code == 1 and "edge:MAPP" in result.output and result.exception.__class__ is SystemExit
        monkeypatch.setenv("STADSHUS_QDRANT_URL", f"edge:{tmp_path / 'qdrant'}")
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["search", "medborgarvärdar"])
        # (rich wraps the line at the terminal's width)
        assert result.exit_code == 1 and "no alias 'stadshus'" in " ".join(result.output.split())
    finally:
        get_settings.cache_clear()


def test_an_alias_without_its_build_folder_is_reported(tmp_path, corpus, url):
    report = build(corpus, tmp_path / "index", url)
    other_machine = tmp_path / "elsewhere"
    with pytest.raises(IndexMissing, match="no build folder"):
        load(other_machine, url)
    assert report.build.is_dir()


def test_sentence_vectors_live_in_the_collection_and_are_reused(tmp_path, corpus, url):
    build_index(make_settings(tmp_path / "faiss", corpus), embedder=HashEmbedder())
    faiss = load_index(tmp_path / "faiss")
    report = build(corpus, tmp_path / "index", url)
    index = load(tmp_path / "index", url)
    assert not (report.build / "sentences" / "vectors.npy").exists() and (report.build / "sentences" / "keys.npy").is_file()
    rows = np.arange(len(faiss.sentences))
    np.testing.assert_array_equal(index.sentences.vectors_of(rows), faiss.sentences.vectors_of(rows))
    # Sentence points are neither chunks nor BM25 documents.
    assert len(index.dense) == len(index.chunks) and len(index.sentences.vectors) == len(faiss.sentences)
    embedder = HashEmbedder()
    again = build(corpus, tmp_path / "index", url, embedder)
    assert embedder.calls == again.sentences_embedded == 0 and again.sentences == report.sentences


def test_a_process_that_leaves_its_engine_open_exits_without_a_traceback(url):
    # The CLI never closes the process's engine; local mode's client must not fail at interpreter shutdown.
    script = f"from indexer.qdrant_engines import open_engine; print(open_engine({url!r}).collections())"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert "Traceback" not in done.stderr, done.stderr
