"""The index checks itself: flipped bytes, random bytes and truncation in any file of a build (the manifest
included) are refused when the build is loaded, a server keeps serving its build when a damaged one is
published, a build whose parts disagree is never published, and published files are never changed.
Every file of the build is damaged in turn, as the build lists them, so files added to a build later are
covered too."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from indexer.pipeline import build_index
from indexer.storage import (
    BUILDS,
    MANIFEST,
    IndexCorrupt,
    IndexMismatch,
    build_files,
    current_build,
    file_checksum,
    load_index,
    read_manifest,
)
from indexer.vectorstore import FaissStore
from service.api.main import create_app
from service.engine import load_engine
from tests.conftest import GAZETTEER, make_settings
from tests.fakes import HashEmbedder
from tests.test_pipeline import DOCUMENTS, write_document

DAMAGES = ("flipped", "random", "truncated")


def copy_index(source: Path, target: Path) -> Path:
    """A copy of an index folder whose files may be damaged (builds are written read-only)."""
    shutil.copytree(source, target, symlinks=True)
    for path in target.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return target


def damage(path: Path, kind: str) -> None:
    """One byte flipped in the middle, 64 bytes in the middle replaced by random ones, or the second half cut off."""
    data = bytearray(path.read_bytes())
    assert data, f"{path} is empty: nothing to damage"
    middle = len(data) // 2
    if kind == "flipped":
        data[middle] ^= 0x01
    elif kind == "random":
        size = min(64, len(data))
        begin = (len(data) - size) // 2
        rng = random.Random(path.name)
        replacement = rng.randbytes(size)
        while replacement == data[begin : begin + size]:
            replacement = rng.randbytes(size)
        data[begin : begin + size] = replacement
    else:
        del data[middle:]
    path.write_bytes(bytes(data))


def write_corpus(folder: Path) -> None:
    folder.mkdir()
    for name, content in DOCUMENTS.items():
        write_document(folder, name, content)


def every_file(build: Path) -> list[str]:
    """The manifest and every file it records."""
    return [MANIFEST, *build_files(build)]


@pytest.mark.parametrize("kind", DAMAGES)
def test_damage_to_any_file_of_a_build_is_refused_at_load(corpus_settings, tmp_path, kind):
    source = Path(corpus_settings.index_dir)
    names = every_file(current_build(source))
    assert len(names) >= 18 and "chunks.jsonl" in names and "dense/dense.faiss" in names
    accepted = []
    for number, name in enumerate(names):
        index_dir = copy_index(source, tmp_path / str(number))
        damage(current_build(index_dir) / name, kind)
        try:
            load_index(index_dir)
        except (IndexCorrupt, IndexMismatch) as refusal:
            assert "stadshus index" in str(refusal)
        else:
            accepted.append(name)
        shutil.rmtree(index_dir)
    assert accepted == [], f"damaged ({kind}) and still loaded: {accepted}"


def test_a_file_added_to_a_build_or_taken_from_it_is_refused(corpus_settings, tmp_path):
    added = copy_index(Path(corpus_settings.index_dir), tmp_path / "added")
    (current_build(added) / "bm25" / "extra.npy").write_bytes(b"\x93NUMPY")
    with pytest.raises(IndexCorrupt, match="not in the manifest.*bm25/extra.npy"):
        load_index(added)
    taken = copy_index(Path(corpus_settings.index_dir), tmp_path / "taken")
    (current_build(taken) / "chunk_table" / "names.json").unlink()
    with pytest.raises(IndexCorrupt, match="missing.*chunk_table/names.json"):
        load_index(taken)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("chunks.jsonl", "flipped"),  # was served as a "verbatim" quote
        ("documents.jsonl", "flipped"),
        ("dense/dense.faiss", "random"),  # gave scores of 1e37
        ("bm25/data.csc.index.npy", "random"),  # made /api/search answer 500 while /healthz said ok
        ("bm25/indices.csc.index.npy", "truncated"),
        ("chunk_table/offsets.npy", "truncated"),
    ],
)
def test_a_damaged_build_is_never_served(corpus_settings, app_settings, tmp_path, name, kind):
    index_dir = copy_index(Path(corpus_settings.index_dir), tmp_path / "index")
    damage(current_build(index_dir) / name, kind)
    settings = make_settings(index_dir, db_url=app_settings.db_url)
    with TestClient(create_app(settings=settings)) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and "skadat" in health.json()["message"] and name in health.json()["message"]
        for response in (
            client.get("/api/search", params={"q": "medborgarvärdar"}),
            client.post("/api/ask", json={"question": "Vilka stadsdelar arbetar med medborgarvärdar?"}),
        ):
            assert response.status_code == 503 and "skadat" in response.json()["detail"]


@pytest.mark.parametrize("kind", DAMAGES)
def test_a_damaged_new_build_leaves_the_served_one_serving(corpus_settings, app_settings, e5, tmp_path, kind):
    index_dir = copy_index(Path(corpus_settings.index_dir), tmp_path / "index")
    settings = make_settings(index_dir, db_url=app_settings.db_url)
    with TestClient(create_app(settings=settings, engine=load_engine(settings, embedder=e5))) as client:
        served = client.get("/healthz").json()["build"]
        before = client.get("/api/search", params={"q": "medborgarvärdar", "k": 5}).json()
        # A newer build appears whose chunk records were damaged after it was written.
        newer = index_dir / BUILDS / "29991231T000000-skadad"
        shutil.copytree(current_build(index_dir), newer)
        damage(newer / "chunks.jsonl", kind)
        (index_dir / "current").unlink()
        (index_dir / "current").symlink_to(newer.relative_to(index_dir))

        deadline = time.monotonic() + 60
        while not client.get("/healthz").json()["message"] and time.monotonic() < deadline:
            time.sleep(0.2)
        health = client.get("/healthz").json()
        assert (health["status"], health["build"]) == ("ok", served)
        assert "chunks.jsonl" in health["message"]
        assert client.get("/api/search", params={"q": "medborgarvärdar", "k": 5}).json() == before


def test_health_is_an_error_when_a_search_of_the_served_build_fails(corpus_settings, app_settings, e5, tmp_path):
    index_dir = copy_index(Path(corpus_settings.index_dir), tmp_path / "index")
    settings = make_settings(index_dir, db_url=app_settings.db_url)
    engine = load_engine(settings, embedder=e5)
    # The served documents' records cut short under the running service (read, not mapped: no SIGBUS).
    os.truncate(current_build(index_dir) / "documents.jsonl", 100)
    with TestClient(create_app(settings=settings, engine=engine)) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and "Sökningen fungerar inte" in health.json()["message"]
        assert health.json()["build"] == engine.index.manifest.build_id
        # The last document's record lies past the cut.
        document = list(engine.index.manifest.documents)[-1]
        assert client.get(f"/api/documents/{document}").status_code == 503


def test_a_build_whose_vectors_are_garbage_is_not_published(tmp_path, monkeypatch):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus)
    settings = make_settings(index_dir, corpus_dir=corpus)
    first = build_index(settings, embedder=HashEmbedder()).build
    save = FaissStore.save

    def save_garbage(store: FaissStore, directory: Path) -> None:
        # As if the vector store had written random numbers: every file is whole and checksummed.
        save(FaissStore(np.random.default_rng(0).normal(0, 1e18, store.vectors.shape).astype(np.float32)), directory)

    monkeypatch.setattr(FaissStore, "save", save_garbage)
    with pytest.raises(IndexCorrupt, match="self-check"):
        build_index(settings, embedder=HashEmbedder())
    assert current_build(index_dir) == first
    assert not [path for path in (index_dir / BUILDS).iterdir() if path.name.startswith(".")]
    monkeypatch.undo()
    assert load_index(index_dir).path == first


def test_published_files_are_read_only_and_never_changed(tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus)
    settings = make_settings(index_dir, corpus_dir=corpus)
    first = build_index(settings, embedder=HashEmbedder()).build
    recorded = read_manifest(first).files
    states = {name: (path.stat().st_ino, path.stat().st_mtime_ns) for name, path in build_files(first).items()}
    for path in (first / name for name in every_file(first)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o444, path
    (corpus / "farsta.txt").write_text("Trygghetsplan för Farsta 2022\n\nNy text om Hökarängen.\n", encoding="utf-8")
    second = build_index(settings, embedder=HashEmbedder()).build
    assert second != first and current_build(index_dir) == second
    # The build served until now is kept for requests in flight, untouched.
    assert {name: (path.stat().st_ino, path.stat().st_mtime_ns) for name, path in build_files(first).items()} == states
    assert {name: file_checksum(first / name) for name in recorded} == {n: r.checksum for n, r in recorded.items()}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_the_server_survives_a_file_of_its_build_cut_short(corpus_settings, tmp_path):
    """`stadshus serve` over a build whose vectors are then truncated under its memory map: the worker dies
    of SIGBUS with the fault in the log, the supervisor starts it again, and the new worker refuses the
    damaged build and says why, instead of the whole service dying without a word (exit 135). The service
    is started with a review database URL it refuses, and starts anyway, without reviews."""
    index_dir = copy_index(Path(corpus_settings.index_dir), tmp_path / "index")
    port = _free_port()
    environment = {
        **os.environ,
        "STADSHUS_INDEX_DIR": str(index_dir),
        "STADSHUS_CORPUS_DIR": str(corpus_settings.corpus_dir),
        "STADSHUS_GAZETTEER": str(GAZETTEER),
        "STADSHUS_DB_URL": "inte-en-databas",
    }
    log = (tmp_path / "serve.log").open("w")
    stadshus = Path(sys.executable).with_name("stadshus")
    server = subprocess.Popen(
        [str(stadshus), "serve", "--port", str(port)], env=environment, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def health() -> httpx.Response | None:
        try:
            return httpx.get(f"{base}/healthz", timeout=30)
        except httpx.HTTPError:
            return None

    def wait_for(condition, seconds: float = 300) -> httpx.Response | None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            response = health()
            if response is not None and condition(response):
                return response
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.5)
        return None

    try:
        started = wait_for(lambda r: r.status_code == 200)
        assert started is not None, (tmp_path / "serve.log").read_text()
        assert "STADSHUS_DB_URL" in started.json()["reviews"]
        vectors = current_build(index_dir) / "dense" / "dense.faiss"
        os.truncate(vectors, vectors.stat().st_size // 2)
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{base}/api/search", params={"q": "medborgarvärdar", "mode": "dense"}, timeout=60)
        refused = wait_for(lambda r: r.status_code == 503)
        assert refused is not None, (tmp_path / "serve.log").read_text()
        assert "skadat" in refused.json()["message"] and "dense/dense.faiss" in refused.json()["message"]
        assert server.poll() is None
        logged = (tmp_path / "serve.log").read_text()
        assert "Fatal Python error: Bus error" in logged and "died" in logged
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
