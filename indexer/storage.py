"""The index on disk: plain files in a build folder, stamped by a manifest, swapped in atomically.

    index/
      current -> builds/<build id>     a symlink, replaced in one rename when a build is complete
      builds/<build id>/
        manifest.json                  embedder, chunking, versions, a hash per document
        documents.jsonl, document_table/  cleaned documents, texts read on demand (see indexer.documentstore)
        chunks.jsonl, chunk_table/     chunk records, read on demand (see indexer.chunkstore)
        duplicates.json                near-duplicate chunk positions
        dense/                         the vector store (dense.faiss, which holds the vectors)
        bm25/                          the lexical index (bm25s files)

A build killed at any moment leaves ``current`` pointing at the previous complete build.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ValidationError

from .chunkstore import RECORDS_FILE, ChunkTable
from .documentstore import DocumentTable
from .lexical import BM25Index
from .problems import IndexProblem
from .types import Chunk, Document
from .vectorstore import FaissStore

# Format 2 added chunk_table/, format 3 document_table/; the chunk records and vectors of older builds
# can still be reused.
FORMAT_VERSION = 3
REUSABLE_FORMATS = (1, 2, 3)
CURRENT = "current"
BUILDS = "builds"


class IndexMissing(IndexProblem):
    """No index has been built yet."""


class IndexCorrupt(IndexProblem):
    """The index files are damaged or incomplete."""


class IndexMismatch(IndexProblem):
    """The index was built with another embedder (or format) than the one configured."""


class IndexBusy(IndexProblem):
    """Another process is building the index."""


class DocumentRecord(BaseModel):
    """What the manifest keeps about each indexed document."""

    source: str
    sha256: str
    chunks: int


class Manifest(BaseModel):
    """What shaped an index: read before anything else is loaded."""

    format: int
    build_id: str
    created_at: str
    embedder: str
    dimension: int
    chunking: dict[str, int | str | bool]
    settings_hash: str
    versions: dict[str, str]
    vector_store: str
    documents: dict[str, DocumentRecord]
    chunk_count: int


@dataclass
class StoredIndex:
    """A loaded index: documents, chunks, both retrievers and the near-duplicate map."""

    path: Path
    manifest: Manifest
    documents: DocumentTable
    chunks: ChunkTable
    dense: FaissStore
    lexical: BM25Index
    duplicates: dict[int, list[int]]

    def chunk_position(self, chunk_id: str) -> int | None:
        """The position of a chunk by id."""
        return self.chunks.position_of(chunk_id)


def current_build(index_dir: Path) -> Path:
    """The folder of the build that ``current`` points at."""
    link = index_dir / CURRENT
    if not link.is_symlink() and not link.exists():
        raise IndexMissing(f"no index in {index_dir}: run `stadshus index` to build it")
    target = link.resolve()
    if not (target / "manifest.json").is_file():
        raise IndexCorrupt(f"the index in {index_dir} is incomplete (no manifest): run `stadshus index` again")
    return target


def read_manifest(build: Path) -> Manifest:
    """The manifest of a build folder."""
    try:
        return Manifest.model_validate_json((build / "manifest.json").read_bytes())
    except (OSError, ValidationError, ValueError) as exc:
        raise IndexCorrupt(f"the index manifest in {build} is unreadable ({exc}): run `stadshus index` again") from exc


def load_index(index_dir: Path, embedder_name: str | None = None, max_distance: int = 2, mmap: bool = True) -> StoredIndex:
    """Load the current build; if ``embedder_name`` is given it must match the one the index was built with."""
    build = current_build(index_dir)
    manifest = read_manifest(build)
    if manifest.format != FORMAT_VERSION:
        raise IndexMismatch(
            f"the index has format {manifest.format}, this version reads format {FORMAT_VERSION}: "
            "run `stadshus index` to rebuild it"
        )
    if embedder_name is not None and manifest.embedder != embedder_name:
        raise IndexMismatch(
            f"the index was built with the embedder {manifest.embedder!r} but {embedder_name!r} is configured "
            "(STADSHUS_EMBEDDER): rebuild with `stadshus index` or configure the index's embedder"
        )
    try:
        documents = DocumentTable.open(build)
        chunks = ChunkTable.open(build, mmap_arrays=mmap)
        duplicates = {int(k): v for k, v in json.loads((build / "duplicates.json").read_text("utf-8")).items()}
        dense = FaissStore.load(build / "dense", mmap=mmap)
        lexical = BM25Index.load(build / "bm25", max_distance=max_distance, mmap=mmap)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(f"the index in {build} is damaged ({type(exc).__name__}: {exc}): run `stadshus index` again") from exc
    if len(chunks) != manifest.chunk_count or len(dense) != len(chunks) or len(lexical) != len(chunks):
        raise IndexCorrupt(f"the index in {build} is inconsistent (chunk counts differ): run `stadshus index` again")
    return StoredIndex(build, manifest, documents, chunks, dense, lexical, duplicates)


def write_build(
    index_dir: Path,
    manifest: Manifest,
    documents: list[Document],
    chunks: list[Chunk],
    dense: FaissStore,
    lexical: BM25Index,
    duplicates: dict[int, list[int]],
) -> Path:
    """Write a complete build beside the current one, then point ``current`` at it in one atomic rename."""
    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    staging = builds / f".{manifest.build_id}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    DocumentTable.write(staging, documents)
    ChunkTable.write(staging, chunks, [document.doc_id for document in documents])
    (staging / "duplicates.json").write_text(json.dumps({str(k): v for k, v in duplicates.items()}), "utf-8")
    dense.save(staging / "dense")
    lexical.save(staging / "bm25")
    # The manifest goes last: a folder without one is never a build.
    (staging / "manifest.json").write_text(manifest.model_dump_json(indent=2), "utf-8")
    _fsync_tree(staging)
    final = builds / manifest.build_id
    os.replace(staging, final)
    link = index_dir / CURRENT
    previous = link.resolve().name if link.is_symlink() else None
    _point_current(index_dir, final)
    # The build served until now stays: requests in flight may still read it.
    _remove_old_builds(builds, keep={final.name, previous} - {None})
    return final


def _point_current(index_dir: Path, build: Path) -> None:
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(build.relative_to(index_dir))
    os.replace(temporary, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _remove_old_builds(builds: Path, keep: set[str]) -> None:
    """Drop every build but those in ``keep`` (run under the build lock: no other build is being written)."""
    for path in builds.iterdir():
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def _remove_leftovers(index_dir: Path) -> None:
    """What killed builds left: partial build folders and temporary ``current`` links. Run under the build
    lock, so none of them belongs to a build that is still running."""
    for link in index_dir.glob(f".{CURRENT}.*"):
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
    for partial in (index_dir / BUILDS).glob(".*.partial"):
        shutil.rmtree(partial, ignore_errors=True)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's build lock; a second concurrent build fails at once with IndexBusy. Whatever killed
    builds left behind is removed once the lock is held."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBusy(f"another `stadshus index` is building {index_dir}; wait for it to finish") from exc
        try:
            _remove_leftovers(index_dir)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def previous_vectors(index_dir: Path, embedder_name: str) -> dict[str, np.ndarray]:
    """Vectors of the current build keyed by the text they embed, for reuse when re-indexing.

    Empty when there is no usable previous build or it used another embedder.
    """
    try:
        build = current_build(index_dir)
        manifest = read_manifest(build)
        if manifest.embedder != embedder_name or manifest.format not in REUSABLE_FORMATS:
            return {}
        vectors = FaissStore.load(build / "dense").vectors
        chunks = [_chunk(json.loads(line)) for line in _lines(build / RECORDS_FILE)]
    except (IndexProblem, OSError, ValueError, KeyError, TypeError, RuntimeError):
        return {}
    if len(chunks) != len(vectors):
        return {}
    return {chunk.indexed_text: np.array(vectors[i]) for i, chunk in enumerate(chunks)}


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield line


def _chunk(data: dict) -> Chunk:
    data["districts"] = tuple(data["districts"])
    return Chunk(**data)


def _fsync_tree(root: Path) -> None:
    for directory, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(directory, name), "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(Path(directory))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
