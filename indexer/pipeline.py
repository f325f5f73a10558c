"""Building the index: discover, read, clean, structure, chunk, embed (only what changed), store, swap."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .buildlog import recorded
from .documents import Skipped
from .duplicates import near_duplicates
from .embedders import Embedder, load_embedder
from .guard import check_corpus_folder, check_shrink, served_manifest
from .lexical import BM25Index
from .lexicon import Lexicon
from .qdrant_store import QdrantTarget
from .reading import read_corpus
from .sentences import SentenceRows, SentenceTable, text_key
from .settings import Settings
from .storage import (
    FORMAT_VERSION,
    DocumentRecord,
    Manifest,
    build_lock,
    previous_sentence_vectors,
    previous_vectors,
    text_hash,
    write_build,
)
from .types import Chunk, Document
from .vectorstore import FaissStore

Progress = Callable[[str, int, int], None]


@dataclass
class BuildReport:
    """What a build did, for the CLI summary and for benchmarks."""

    build: Path
    documents: int
    chunks: int
    embedded: int
    reused: int
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    over_window: list[str] = field(default_factory=list)
    sentences: int = 0
    sentences_embedded: int = 0
    sentence_seconds: float = 0.0


@dataclass(frozen=True)
class BuildOptions:
    """Switches for the indexer's own choices; all on by default (the evaluation turns each off in turn)."""

    section_context: bool = True
    stemming: bool = True
    cleaning: bool = True


def settings_hash(settings: Settings, options: BuildOptions) -> str:
    """A hash of everything that shapes chunks and their vectors."""
    shaping = (
        settings.embedder,
        settings.chunk_tokens,
        settings.chunk_overlap_tokens,
        settings.tokenizer,
        options.section_context,
        options.stemming,
        options.cleaning,
        FORMAT_VERSION,
    )
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:16]


def parse_corpus(
    settings: Settings, corpus_dir: Path | None = None, cleaning: bool = True
) -> tuple[list[Document], list[Skipped]]:
    """Read every file of the corpus into Documents; unreadable files are skipped with a reason."""
    corpus_dir = Path(corpus_dir or settings.corpus_dir)
    check_corpus_folder(corpus_dir)
    read, skipped = read_corpus(settings, corpus_dir, cleaning)
    return [file.document for file in read], skipped


def build_index(
    settings: Settings,
    embedder: Embedder | None = None,
    corpus_dir: Path | None = None,
    options: BuildOptions = BuildOptions(),
    progress: Progress | None = None,
    allow_shrink: bool = False,
    deleted: Collection[str] = (),
) -> BuildReport:
    """Build (or update) the index in ``settings.index_dir`` (and with ``STADSHUS_STORE=qdrant`` a new
    Qdrant collection) and swap it in when complete.

    Vectors of passages whose indexed text is unchanged are reused from the served build, so
    re-indexing after editing one document embeds only that document's changed chunks. A build that would
    be empty or lose more than ``settings.max_shrink`` of the served build's documents (not counting those
    ``deleted`` on purpose) is refused with BuildRefused, unless ``allow_shrink``.
    """
    started = time.perf_counter()
    index_dir = Path(settings.index_dir)
    corpus_dir = Path(corpus_dir or settings.corpus_dir)
    qdrant = QdrantTarget.from_settings(settings)
    with build_lock(index_dir), recorded(index_dir) as published:
        check_corpus_folder(corpus_dir)
        read, skipped = read_corpus(settings, corpus_dir, options.cleaning, options.section_context, progress)
        documents = [file.document for file in read]
        if not allow_shrink:
            check_shrink(served_manifest(index_dir, qdrant), [d.doc_id for d in documents], corpus_dir, settings.max_shrink, deleted)
        chunks: list[Chunk] = [chunk for file in read for chunk in file.chunks]
        embedder = embedder or load_embedder(settings.embedder, settings.embed_batch_size, settings.embed_threads)
        # Chunks are bounded in cl100k tokens; the embedder's own tokenizer decides what it truncates.
        over_window = [c.chunk_id for c in chunks if embedder.count_tokens(c.indexed_text) > settings.max_embed_tokens]
        if qdrant is None:
            known = previous_vectors(index_dir, embedder.name)
            known_sentences = previous_sentence_vectors(index_dir, embedder.name)
        else:
            from .qdrant_build import previous_qdrant_sentence_vectors, previous_qdrant_vectors

            # Moving from FAISS to Qdrant in the same index folder embeds nothing that FAISS already holds.
            known = previous_qdrant_vectors(qdrant, index_dir, embedder.name) or previous_vectors(index_dir, embedder.name)
            known_sentences = previous_qdrant_sentence_vectors(qdrant, index_dir, embedder.name) or previous_sentence_vectors(
                index_dir, embedder.name
            )
        embed_started = time.perf_counter()
        vectors, reused = _embed(chunks, embedder, known, settings.embed_batch_size, progress)
        embed_seconds = time.perf_counter() - embed_started
        sentence_started = time.perf_counter()
        sentences, sentences_embedded = _sentences(documents, embedder, known_sentences, settings.embed_batch_size, progress)
        sentence_seconds = time.perf_counter() - sentence_started
        texts = [chunk.indexed_text for chunk in chunks]
        duplicates = near_duplicates([c.text for c in chunks], [c.doc_id for c in chunks], settings.duplicate_containment)
        if qdrant is None:
            dense = FaissStore(vectors)
            lexical = BM25Index.build(texts, stem=options.stemming, max_distance=settings.fuzzy_max_distance)
            manifest = _manifest(settings, options, embedder, documents, chunks, f"faiss-{dense.kind}")
            build = write_build(index_dir, manifest, documents, chunks, dense, lexical, duplicates, sentences)
        else:
            from .qdrant_build import write_qdrant_build

            lexicon, sparse = Lexicon.build(texts, stem=options.stemming, max_distance=settings.fuzzy_max_distance)
            manifest = _manifest(settings, options, embedder, documents, chunks, "qdrant")
            manifest.collection = qdrant.collection(manifest.build_id)
            build = write_qdrant_build(
                qdrant, index_dir, manifest, documents, chunks, vectors, lexicon, sparse, duplicates, sentences, progress
            )
        published.build_id, published.documents, published.chunks = manifest.build_id, len(documents), len(chunks)
    return BuildReport(
        build=build,
        documents=len(documents),
        chunks=len(chunks),
        embedded=len(chunks) - reused,
        reused=reused,
        skipped=skipped,
        seconds=time.perf_counter() - started,
        embed_seconds=embed_seconds,
        over_window=over_window,
        sentences=len(sentences),
        sentences_embedded=sentences_embedded,
        sentence_seconds=sentence_seconds,
    )


def _embed(
    chunks: list[Chunk], embedder: Embedder, known: dict[str, np.ndarray], batch_size: int, progress: Progress | None
) -> tuple[np.ndarray, int]:
    """Every chunk's vector: ``known`` ones (by ``text_hash`` of the indexed text) reused, the rest embedded."""
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    # Positions of each text to embed: a passage repeated (within a file or across files) is embedded once.
    missing: dict[str, list[int]] = {}
    for position, chunk in enumerate(chunks):
        vector = known.get(text_hash(chunk.indexed_text))
        if vector is not None and vector.shape == (embedder.dim,):
            vectors[position] = vector
        else:
            missing.setdefault(chunk.indexed_text, []).append(position)
    texts = list(missing)
    for begin in range(0, len(texts), batch_size):
        batch = texts[begin : begin + batch_size]
        for text, vector in zip(batch, embedder.embed_passages(batch)):
            vectors[missing[text]] = vector
        if progress:
            progress("embedding", min(begin + batch_size, len(texts)), len(texts))
    return vectors, len(chunks) - sum(len(positions) for positions in missing.values())


def _sentences(
    documents: list[Document], embedder: Embedder, known: dict[int, np.ndarray], batch_size: int, progress: Progress | None
) -> tuple[SentenceTable, int]:
    """The sentence table of ``documents``: each distinct sentence text embedded once, or its vector reused
    from ``known`` (by ``text_key``). Returns the table and how many texts were embedded."""
    rows = SentenceRows.of(documents)
    keys = np.array([text_key(text) for text in rows.texts], dtype=np.int64)
    vectors = np.zeros((len(keys), embedder.dim), dtype=np.float16)
    missing: dict[int, list[int]] = {}
    for row, key in enumerate(keys.tolist()):
        vector = known.get(key)
        if vector is not None and vector.shape == (embedder.dim,):
            vectors[row] = vector
        else:
            missing.setdefault(key, []).append(row)
    pending = list(missing.values())
    for begin in range(0, len(pending), batch_size):
        batch = pending[begin : begin + batch_size]
        embedded = embedder.embed_passages([rows.texts[group[0]] for group in batch])
        for group, vector in zip(batch, embedded):
            vectors[group] = vector
        if progress:
            progress("sentences", min(begin + batch_size, len(pending)), len(pending))
    return SentenceTable(rows.spans, rows.documents, rows.sections, rows.flags, keys, vectors), len(pending)


def _manifest(
    settings: Settings,
    options: BuildOptions,
    embedder: Embedder,
    documents: list[Document],
    chunks: list[Chunk],
    vector_store: str,
) -> Manifest:
    per_document: dict[str, int] = {}
    for chunk in chunks:
        per_document[chunk.doc_id] = per_document.get(chunk.doc_id, 0) + 1
    now = datetime.now(timezone.utc)
    return Manifest(
        format=FORMAT_VERSION,
        build_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        created_at=now.isoformat(timespec="seconds"),
        embedder=embedder.name,
        dimension=embedder.dim,
        chunking={
            "chunk_tokens": settings.chunk_tokens,
            "overlap_tokens": settings.chunk_overlap_tokens,
            "tokenizer": settings.tokenizer,
            "section_context": options.section_context,
            "stemming": options.stemming,
            "cleaning": options.cleaning,
        },
        settings_hash=settings_hash(settings, options),
        versions={
            "stadshus": _version("stadshus"),
            "faiss": _version("faiss-cpu"),
            "bm25s": _version("bm25s"),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        vector_store=vector_store,
        documents={
            d.doc_id: DocumentRecord(source=d.source, sha256=d.sha256, chunks=per_document.get(d.doc_id, 0))
            for d in documents
        },
        chunk_count=len(chunks),
    )


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
