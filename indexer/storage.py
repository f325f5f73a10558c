"""The index on disk: plain files in a build folder, stamped by a manifest, checked, swapped in atomically.

    index/
      current -> builds/<build id>     a symlink, replaced in one rename when a build is complete
      builds/<build id>/
        manifest.json                  embedder, chunking, versions, a hash per document, the size and
                                       checksum of every other file of the build, its own checksum
        documents.jsonl, document_table/  cleaned documents, texts read on demand (see indexer.documentstore)
        chunks.jsonl, chunk_table/     chunk records, read on demand (see indexer.chunkstore)
        duplicates.json                near-duplicate chunk positions
        sentences/                     every sentence's span, flags and vector (see indexer.sentences)
        dense/                         the vector store (dense.faiss, which holds the vectors)
        bm25/                          the lexical index (bm25s files)

A build killed at any moment leaves ``current`` pointing at the previous complete build. A build is
verified (``verify_build``: every file's size and checksum, no file missing or added; then opened and
searched once) before ``current`` points at it and again whenever it is loaded, so a damaged build is
refused and never served. Its files are written read-only and never changed once published.

With ``STADSHUS_STORE=qdrant`` the vectors and BM25 live in a Qdrant collection instead (indexer.qdrant_store),
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
import stat
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import xxhash
from pydantic import BaseModel, Field, ValidationError

from .chunkstore import RECORDS_FILE, ChunkTable
from .documentstore import DocumentTable
from .filtering import FilterPositions
from .lexical import BM25Index, LexicalIndex
from .problems import IndexProblem
from .records import RecordError
from .retrieval import PositionRetrieval, Retrieval
from .sentences import SentenceTable, SentenceVectors
from .types import Chunk, Document
from .vectorstore import FaissStore, VectorStore

if TYPE_CHECKING:
    from .qdrant_store import QdrantTarget

# Format 2 added chunk_table/, format 3 document_table/, format 4 the files' checksums, format 5
# sentences/; the chunk records and vectors of older builds can still be reused.
FORMAT_VERSION = 5
REUSABLE_FORMATS = (1, 2, 3, 4, 5)
CURRENT = "current"
BUILDS = "builds"
MANIFEST = "manifest.json"
# xxHash3-128 reads at about 10 GB/s on one core (SHA-256: 1 GB/s): it finds damage, not tampering, and
# whoever can change a build can change its manifest too.
CHECKSUM = "xxh3_128"
READ_BLOCK = 8 * 1024 * 1024
VERIFY_THREADS = 4
# Vectors are normalised: a stored vector's inner product with itself is 1, give or take rounding.
SELF_SCORE_TOLERANCE = 1e-3


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


class FileRecord(BaseModel):
    """What the manifest keeps about each file of a build."""

    size: int
    checksum: str = Field(description=f"{CHECKSUM} of the file's bytes, hex.")


class Manifest(BaseModel):
    """What shaped an index, and what its files must be: read and checked before anything else is loaded."""

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
    #: Every file of the build but the manifest, by its path in the build (filled in by ``write_build``).
    files: dict[str, FileRecord] = Field(default_factory=dict)
    checksum: str = Field("", description="A checksum of the manifest's other fields (``manifest_checksum``).")
    #: The Qdrant collection holding the build's vectors and BM25 (store "qdrant" only).
    collection: str | None = None

    @property
    def store(self) -> str:
        """The store family that holds the vectors: "faiss" or "qdrant"."""
        return self.vector_store.split("-")[0]


def manifest_checksum(manifest: Manifest) -> str:
    """The checksum of a manifest's content (everything but ``checksum``), however its JSON is laid out.
    Unset fields are left out, so a field added later does not change the checksum of older manifests."""
    content = json.dumps(
        manifest.model_dump(mode="json", exclude={"checksum"}, exclude_none=True), sort_keys=True, ensure_ascii=False
    )
    return xxhash.xxh3_128_hexdigest(content.encode())


def file_checksum(path: Path) -> str:
    """The checksum of a file, read in blocks (never mapped: a file cut short under a mapping is a SIGBUS)."""
    digest = xxhash.xxh3_128()
    buffer = bytearray(READ_BLOCK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as handle:
        while read := handle.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()


@dataclass
class StoredIndex:
    """A loaded index: documents, chunks, both retrievers (and the two rankings under filters that hybrid
    search fuses), the near-duplicate map and the sentences."""

    path: Path
    manifest: Manifest
    documents: DocumentTable
    chunks: ChunkTable
    dense: VectorStore
    lexical: LexicalIndex
    retrieval: Retrieval
    duplicates: dict[int, list[int]]
    sentences: SentenceTable

    def chunk_position(self, chunk_id: str) -> int | None:
        """The position of a chunk by id."""
        return self.chunks.position_of(chunk_id)


def current_build(index_dir: Path) -> Path:
    """The folder of the build that ``current`` points at."""
    link = index_dir / CURRENT
    if not link.is_symlink() and not link.exists():
        raise IndexMissing(f"no index in {index_dir}: run `stadshus index` to build it")
    target = link.resolve()
    if not (target / MANIFEST).is_file():
        raise IndexCorrupt(f"the index in {index_dir} is incomplete (no manifest): run `stadshus index` again")
    return target


def read_manifest(build: Path) -> Manifest:
    """The manifest of a build folder (its own checksum is checked only by ``verify_build``)."""
    try:
        return Manifest.model_validate_json((build / MANIFEST).read_bytes())
    except (OSError, ValidationError, ValueError) as exc:
        raise IndexCorrupt(f"the index manifest in {build} is unreadable ({exc}): run `stadshus index` again") from exc


def build_files(build: Path) -> dict[str, Path]:
    """Every file of a build folder but its manifest, by its path in the build."""
    return {
        path.relative_to(build).as_posix(): path
        for path in sorted(build.rglob("*"))
        if path.name != MANIFEST or path.parent != build
        if not path.is_dir()
    }


def verify_build(build: Path) -> Manifest:
    """The build's manifest, once every file of the build is the one it records: the manifest's own
    checksum, then every file's presence and size (cheap, first), then every file's checksum. Raises
    IndexCorrupt naming the first file that differs; nothing is memory-mapped here."""
    manifest = read_manifest(build)
    if manifest.format != FORMAT_VERSION:
        raise IndexMismatch(
            f"the index has format {manifest.format}, this version reads format {FORMAT_VERSION}: "
            "run `stadshus index` to rebuild it"
        )
    if manifest.checksum != manifest_checksum(manifest) or not manifest.files:
        raise IndexCorrupt(f"the index manifest in {build} is damaged (its checksum differs): run `stadshus index` again")
    present = build_files(build)
    unknown = sorted(present.keys() - manifest.files.keys())
    missing = sorted(manifest.files.keys() - present.keys())
    if missing or unknown:
        raise IndexCorrupt(
            f"the index in {build} is incomplete (missing {missing}, not in the manifest {unknown}): "
            "run `stadshus index` again"
        )
    for name, record in manifest.files.items():
        size = present[name].stat().st_size
        if size != record.size:
            raise IndexCorrupt(
                f"the file {name} of the index in {build} is damaged ({size} bytes, the manifest says {record.size}): "
                "run `stadshus index` again"
            )
    with ThreadPoolExecutor(VERIFY_THREADS) as pool:  # xxhash lets go of the GIL: files are hashed side by side
        sums = dict(zip(manifest.files, pool.map(file_checksum, (present[name] for name in manifest.files))))
    for name, record in manifest.files.items():
        if sums[name] != record.checksum:
            raise IndexCorrupt(
                f"the file {name} of the index in {build} is damaged (its checksum differs from the manifest's): "
                "run `stadshus index` again"
            )
    return manifest


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
    if not (build / MANIFEST).is_file():
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
    """Load the served build (``qdrant``: from Qdrant, else FAISS and bm25s files), verified first
    (``verify_build``); if ``embedder_name`` is given it must match the one the index was built with."""
    return open_build(served_build(index_dir, qdrant), embedder_name, max_distance, mmap, qdrant)


def open_build(
    build: Path,
    embedder_name: str | None = None,
    max_distance: int = 2,
    mmap: bool = True,
    qdrant: QdrantTarget | None = None,
) -> StoredIndex:
    """Verify a build folder, open it (its vectors and BM25 in Qdrant when ``qdrant`` is given) and search
    it once (``self_check``)."""
    manifest = verify_build(build)
    if embedder_name is not None and manifest.embedder != embedder_name:
        raise IndexMismatch(
            f"the index was built with the embedder {manifest.embedder!r} but {embedder_name!r} is configured "
            "(STADSHUS_EMBEDDER): rebuild with `stadshus index` or configure the index's embedder"
        )
    try:
        documents = DocumentTable.open(build)
        chunks = ChunkTable.open(build, mmap_arrays=mmap)
        duplicates = {int(k): v for k, v in json.loads((build / "duplicates.json").read_text("utf-8")).items()}
        sentence_vectors: SentenceVectors | None = None  # the table's own
        if qdrant is None:
            dense: VectorStore = FaissStore.load(build / "dense", mmap=mmap)
            lexical: LexicalIndex = BM25Index.load(build / "bm25", max_distance=max_distance, mmap=mmap)
            retrieval: Retrieval = PositionRetrieval(dense, lexical, FilterPositions(chunks, documents.infos))
        else:
            dense, lexical, retrieval, sentence_vectors = _qdrant_parts(qdrant, manifest, build, max_distance)
        sentences = SentenceTable.open(build, mmap_arrays=mmap, vectors=sentence_vectors)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(f"the index in {build} is damaged ({type(exc).__name__}: {exc}): run `stadshus index` again") from exc
    if len(chunks) != manifest.chunk_count or len(dense) != len(chunks) or len(lexical) != len(chunks):
        raise IndexCorrupt(f"the index in {build} is inconsistent (chunk counts differ): run `stadshus index` again")
    if len(sentences) and (int(sentences.documents[-1]) >= len(chunks.doc_ids) or sentences.vectors.dim != manifest.dimension):
        raise IndexCorrupt(f"the index in {build} is inconsistent (the sentence table does not fit): run `stadshus index` again")
    index = StoredIndex(build, manifest, documents, chunks, dense, lexical, retrieval, duplicates, sentences)
    self_check(index)
    return index


def _qdrant_parts(
    qdrant: QdrantTarget, manifest: Manifest, build: Path, max_distance: int
) -> tuple[VectorStore, LexicalIndex, Retrieval, SentenceVectors]:
    from .lexicon import Lexicon
    from .qdrant_store import QdrantLexical, QdrantRetrieval, QdrantSentenceVectors, QdrantStore

    if manifest.store != "qdrant" or not manifest.collection:
        raise ValueError(f"the build was written for {manifest.vector_store!r}, not for Qdrant")
    engine = qdrant.engine()
    dense = QdrantStore(engine, manifest.collection)
    lexical = QdrantLexical(engine, manifest.collection, Lexicon.load(build / "lexicon", max_distance))
    sentences = QdrantSentenceVectors(engine, manifest.collection, manifest.dimension)
    return dense, lexical, QdrantRetrieval(dense, lexical), sentences


def self_check(index: StoredIndex) -> None:
    """Search the index once without an embedder: the first chunk's stored vector scores 1 against itself and
    finds neighbours with scores no higher, its words find it by BM25, and its text is its document's text
    at its offsets. Raises IndexCorrupt."""
    if not len(index.chunks):
        return
    problem = f"the index in {index.path} fails its self-check"
    try:
        chunk = index.chunks[0]
        document = index.documents[chunk.doc_id]
        first = index.dense.vector(0)
        own_positions, own_scores = index.dense.search(first, 1, subset=np.zeros(1, dtype=np.int64))  # exact
        _, scores = index.dense.search(first, 1)
        lexical_positions, _ = index.lexical.search(chunk.indexed_text, 1, subset=np.zeros(1, dtype=np.int64), expand=False)
    except (RecordError, KeyError, IndexError, ValueError, RuntimeError) as exc:
        raise IndexCorrupt(f"{problem} ({type(exc).__name__}: {exc}): run `stadshus index` again") from exc
    if document.text[chunk.start : chunk.end] != chunk.text:
        raise IndexCorrupt(f"{problem} (a chunk's text is not its document's): run `stadshus index` again")
    scored_itself = list(own_positions) == [0] and abs(float(own_scores[0]) - 1.0) < SELF_SCORE_TOLERANCE
    if not scored_itself or not len(scores) or not abs(float(scores[0])) < 1.0 + SELF_SCORE_TOLERANCE:
        wrong = "the vector search scores a stored vector against itself wrongly"
        raise IndexCorrupt(f"{problem} ({wrong}): run `stadshus index` again")
    if list(lexical_positions) != [0]:
        raise IndexCorrupt(f"{problem} (BM25 does not find a chunk by its own words): run `stadshus index` again")


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
    sentences: SentenceTable,
    qdrant: QdrantTarget | None = None,
) -> Path:
    """Write a complete build folder ``builds/<build id>`` (each of ``parts`` in its own sub-folder), not
    yet served: it is read back as a server would (``open_build``, with ``qdrant`` its collection) and
    renamed into place only when every file, the manifest last, is written and checked."""
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
    sentences.write(staging)
    # The manifest goes last: a folder without one is never a build. It records every other file, so a
    # file added to a build by another part of the indexer is covered without a change here.
    files = {}
    for name, path in build_files(staging).items():
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # never changed in place once written
        files[name] = FileRecord(size=path.stat().st_size, checksum=file_checksum(path))
    manifest = manifest.model_copy(update={"files": files})
    manifest = manifest.model_copy(update={"checksum": manifest_checksum(manifest)})
    (staging / MANIFEST).write_text(manifest.model_dump_json(indent=2), "utf-8")
    (staging / MANIFEST).chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    _fsync_tree(staging)
    try:
        open_build(staging, qdrant=qdrant)  # read back as a server would, before anything points at it
    except IndexProblem:
        shutil.rmtree(staging, ignore_errors=True)
        raise
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
    sentences: SentenceTable,
) -> Path:
    """Write a complete build beside the current one, then point ``current`` at it in one atomic rename."""
    final = stage_build(index_dir, manifest, documents, chunks, {"dense": dense, "bm25": lexical}, duplicates, sentences)
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
    """Drop every build of ``store`` but those in ``keep``; complete builds of the other store are left to
    its own builds (run under the build lock: no other build is being written)."""
    for path in builds.iterdir():
        if path.name in keep:
            continue
        with contextlib.suppress(IndexProblem):
            if read_manifest(path).store != store:
                continue
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


def text_hash(text: str) -> str:
    """The key under which a passage's vector is reused: a hash of exactly the text embedded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def previous_vectors(index_dir: Path, embedder_name: str) -> dict[str, np.ndarray]:
    """Vectors of the current FAISS build keyed by ``text_hash`` of the text they embed, for reuse when
    re-indexing.

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


def previous_sentence_vectors(index_dir: Path, embedder_name: str) -> dict[int, np.ndarray]:
    """Sentence vectors of the current FAISS build keyed by their text's hash, for reuse when re-indexing.

    Empty when there is no usable previous build, it has no sentences, or it used another embedder.
    """
    try:
        build = current_build(index_dir)
        manifest = read_manifest(build)
        if manifest.embedder != embedder_name or manifest.format != FORMAT_VERSION:
            return {}
        return SentenceTable.open(build).reusable_vectors()
    except (IndexProblem, OSError, ValueError, KeyError, TypeError):
        return {}


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
