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

A build killed at any moment leaves ``current`` pointing at the previous complete build. With
``STADSHUS_STORE=qdrant`` the vectors and BM25 live in a Qdrant collection instead (indexer.qdrant_store),
the build folder holds ``lexicon/`` in place of dense/ and bm25/, and the collection's alias, not
``current``, says which build is served (indexer.qdrant_build).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from pydantic import BaseModel, ValidationError

from .chunkstore import RECORDS_FILE, ChunkTable
from .documentstore import DocumentTable
from .filtering import FilterPositions
from .lexical import BM25Index, LexicalIndex
from .retrieval import PositionRetrieval, Retrieval
from .types import Chunk, Document
from .vectorstore import FaissStore, VectorStore

if TYPE_CHECKING:
    from .qdrant_store import QdrantTarget

# Format 2 added chunk_table/, format 3 document_table/; the chunk records and vectors of older builds
# can still be reused.
FORMAT_VERSION = 3
REUSABLE_FORMATS = (1, 2, 3)
CURRENT = "current"
BUILDS = "builds"


class IndexProblem(Exception):
    """Base class of index problems; messages are meant for the person running Stadshus."""


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
    # The Qdrant collection holding the build's vectors and BM25 (store "qdrant" only).
    collection: str | None = None

    @property
    def store(self) -> str:
        """The store family that holds the vectors: "faiss" or "qdrant"."""
        return self.vector_store.split("-")[0]


@dataclass
class StoredIndex:
    """A loaded index: documents, chunks, both retrievers (and the two rankings under filters that hybrid
    search fuses) and the near-duplicate map."""

    path: Path
    manifest: Manifest
    documents: DocumentTable
    chunks: ChunkTable
    dense: VectorStore
    lexical: LexicalIndex
    retrieval: Retrieval
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


def served_build(index_dir: Path, qdrant: QdrantTarget | None = None) -> Path:
    """The build folder being served: the target of ``current``, or with Qdrant the build whose collection
    the alias points at."""
    if qdrant is None:
        return current_build(index_dir)
    collection = qdrant.engine().alias_target(qdrant.alias)
    if collection is None:
        raise IndexMissing(f"Qdrant at {qdrant.url} has no alias {qdrant.alias!r}: run `stadshus index` to build the index")
    build_id = qdrant.build_id(collection)
    if build_id is None:
        raise IndexCorrupt(f"the Qdrant alias {qdrant.alias!r} points at {collection!r}, which is no Stadshus build")
    build = index_dir / BUILDS / build_id
    if not (build / "manifest.json").is_file():
        raise IndexMissing(
            f"the served Qdrant collection {collection!r} has no build folder {build} on this machine: "
            "run `stadshus index` here, or share the index folder between the machines"
        )
    return build


def load_index(
    index_dir: Path,
    embedder_name: str | None = None,
    max_distance: int = 2,
    mmap: bool = True,
    qdrant: QdrantTarget | None = None,
) -> StoredIndex:
    """Load the served build (``qdrant``: from Qdrant, else FAISS and bm25s files); if ``embedder_name``
    is given it must match the one the index was built with."""
    build = served_build(index_dir, qdrant)
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
        if qdrant is None:
            dense: VectorStore = FaissStore.load(build / "dense", mmap=mmap)
            lexical: LexicalIndex = BM25Index.load(build / "bm25", max_distance=max_distance, mmap=mmap)
            retrieval: Retrieval = PositionRetrieval(dense, lexical, FilterPositions(chunks, documents.infos))
        else:
            dense, lexical, retrieval = _qdrant_parts(qdrant, manifest, build, max_distance)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(f"the index in {build} is damaged ({type(exc).__name__}: {exc}): run `stadshus index` again") from exc
    if len(chunks) != manifest.chunk_count or len(dense) != len(chunks) or len(lexical) != len(chunks):
        raise IndexCorrupt(f"the index in {build} is inconsistent (chunk counts differ): run `stadshus index` again")
    return StoredIndex(build, manifest, documents, chunks, dense, lexical, retrieval, duplicates)


def _qdrant_parts(
    qdrant: QdrantTarget, manifest: Manifest, build: Path, max_distance: int
) -> tuple[VectorStore, LexicalIndex, Retrieval]:
    from .lexicon import Lexicon
    from .qdrant_store import QdrantLexical, QdrantRetrieval, QdrantStore

    if manifest.store != "qdrant" or not manifest.collection:
        raise ValueError(f"the build was written for {manifest.vector_store!r}, not for Qdrant")
    engine = qdrant.engine()
    dense = QdrantStore(engine, manifest.collection)
    lexical = QdrantLexical(engine, manifest.collection, Lexicon.load(build / "lexicon", max_distance))
    return dense, lexical, QdrantRetrieval(dense, lexical)


class Saved(Protocol):
    """A part of a build that writes itself into a folder (a vector store, a lexical index, a lexicon)."""

    def save(self, directory: Path) -> None: ...


def stage_build(
    index_dir: Path,
    manifest: Manifest,
    documents: list[Document],
    chunks: list[Chunk],
    parts: Mapping[str, Saved],
    duplicates: dict[int, list[int]],
) -> Path:
    """Write a complete build folder ``builds/<build id>`` (each of ``parts`` in its own sub-folder), not
    yet served: a folder is renamed into place only when every file, the manifest last, is written."""
    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    staging = builds / f".{manifest.build_id}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    DocumentTable.write(staging, documents)
    ChunkTable.write(staging, chunks, [document.doc_id for document in documents])
    (staging / "duplicates.json").write_text(json.dumps({str(k): v for k, v in duplicates.items()}), "utf-8")
    for name, part in parts.items():
        part.save(staging / name)
    # The manifest goes last: a folder without one is never a build.
    (staging / "manifest.json").write_text(manifest.model_dump_json(indent=2), "utf-8")
    _fsync_tree(staging)
    final = builds / manifest.build_id
    os.replace(staging, final)
    _fsync_dir(builds)
    return final


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
    final = stage_build(index_dir, manifest, documents, chunks, {"dense": dense, "bm25": lexical}, duplicates)
    link = index_dir / CURRENT
    previous = link.resolve().name if link.is_symlink() else None
    _point_current(index_dir, final)
    # The build served until now stays: requests in flight may still read it.
    _remove_old_builds(index_dir / BUILDS, keep={final.name, previous} - {None}, store="faiss")
    return final


def _point_current(index_dir: Path, build: Path) -> None:
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(build.relative_to(index_dir))
    os.replace(temporary, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _remove_old_builds(builds: Path, keep: set[str], store: str) -> None:
    """Drop every build of ``store`` but those in ``keep``, and partial folders of killed builds once they
    are stale; complete builds of the other store are left to its own builds."""
    for path in builds.iterdir():
        if path.name in keep:
            continue
        # Partial folders of killed builds are removed only when stale, never one being written now.
        if path.name.startswith(".") and time.time() - path.stat().st_mtime < 3600:
            continue
        with contextlib.suppress(IndexProblem):
            if read_manifest(path).store != store:
                continue
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's build lock; a second concurrent build fails at once with IndexBusy."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBusy(f"another `stadshus index` is building {index_dir}; wait for it to finish") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def text_hash(text: str) -> str:
    """The key under which a passage's vector is reused: a hash of exactly the text embedded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def previous_vectors(index_dir: Path, embedder_name: str) -> dict[str, np.ndarray]:
    """Vectors of the current build keyed by ``text_hash`` of the text they embed, for reuse when re-indexing.

    Empty when there is no usable previous build or it used another embedder.
    """
    try:
        build = current_build(index_dir)
        manifest = read_manifest(build)
        if manifest.embedder != embedder_name or manifest.format not in REUSABLE_FORMATS or manifest.store != "faiss":
            return {}
        vectors = FaissStore.load(build / "dense").vectors
        chunks = [_chunk(json.loads(line)) for line in _lines(build / RECORDS_FILE)]
    except (IndexProblem, OSError, ValueError, KeyError, TypeError, RuntimeError):
        return {}
    if len(chunks) != len(vectors):
        return {}
    return {text_hash(chunk.indexed_text): np.array(vectors[i]) for i, chunk in enumerate(chunks)}


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
