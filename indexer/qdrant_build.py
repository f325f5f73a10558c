"""Writing a build into Qdrant without a gap in service.

A build fills a new collection ``<alias>-<build id>`` (see indexer.qdrant_store for its layout), seals it
(durable, indexed), writes its build folder, and only then moves the alias in one atomic step. A build
killed before that leaves the alias on the previous collection, which is served on as if nothing had
happened; its half-written collection is dropped by the next build. The collection served until now is
kept (requests in flight may still read it) and older ones are dropped, as ``write_build`` keeps the
previous build folder. Unchanged passages and sentences keep their vectors: the served collection's
vectors are read back by the hash of the text they embed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import storage
from .filtering import document_years
from .lexicon import Lexicon, SparseVector
from .qdrant_engines import DENSE, SENTENCE, SPARSE, Point, QdrantEngine
from .qdrant_store import CHUNK, KIND, SENTENCE_IDS, SENTENCE_KIND, QdrantSentenceVectors, QdrantTarget
from .sentences import SentenceTable
from .storage import BUILDS, IndexProblem, Manifest, read_manifest, served_build, stage_build, text_hash
from .types import Chunk, Document

WRITE_BATCH = 1024
Progress = Callable[[str, int, int], None]


def chunk_payload(chunk: Chunk, document: Document) -> dict:
    """What Qdrant keeps about a chunk: what filters read, where it lies, and the hash of its text."""
    payload = {
        KIND: CHUNK,
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "districts": list(chunk.districts),
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "text_hash": text_hash(chunk.indexed_text),
    }
    years = document_years(document)
    if years is not None:
        payload["year_first"], payload["year_last"] = years
    return payload


def write_qdrant_build(
    target: QdrantTarget,
    index_dir: Path,
    manifest: Manifest,
    documents: list[Document],
    chunks: list[Chunk],
    vectors: np.ndarray,
    lexicon: Lexicon,
    sparse: Sequence[SparseVector],
    duplicates: dict[int, list[int]],
    sentences: SentenceTable,
    progress: Progress | None = None,
) -> Path:
    """Write the collection (chunks, then ``sentences``' vectors) and the build folder of ``manifest`` (the
    sentence table without its vectors), then serve them by moving the alias."""
    engine = target.engine()
    collection = manifest.collection
    if collection is None:
        raise ValueError("a Qdrant build needs the manifest's collection name")
    previous = engine.alias_target(target.alias)
    engine.create(collection, target.spec(vectors.shape[1] if vectors.ndim == 2 else 1))
    by_id = {document.doc_id: document for document in documents}
    for begin in range(0, len(chunks), WRITE_BATCH):
        end = min(begin + WRITE_BATCH, len(chunks))
        points = [
            Point(
                position,
                {DENSE: vectors[position]},
                {SPARSE: sparse[position]} if len(sparse[position].indices) else {},
                chunk_payload(chunks[position], by_id[chunks[position].doc_id]),
            )
            for position in range(begin, end)
        ]
        engine.upsert(collection, points)
        if progress:
            progress("qdrant", end, len(chunks))
    _write_sentences(engine, collection, sentences, progress)
    engine.seal(collection)
    in_collection = sentences.with_vectors(QdrantSentenceVectors(engine, collection, manifest.dimension))
    final = stage_build(index_dir, manifest, documents, chunks, {"lexicon": lexicon}, duplicates, in_collection, target)
    _publish(engine, target.alias, collection)
    kept = {collection, previous} - {None}
    for name in engine.collections():
        if target.build_id(name) is not None and name not in kept:
            engine.drop(name)
    builds = {target.build_id(name) for name in kept}
    storage._remove_old_builds(index_dir / BUILDS, keep={b for b in builds if b}, store="qdrant")
    return final


def _write_sentences(engine: QdrantEngine, collection: str, sentences: SentenceTable, progress: Progress | None) -> None:
    """One point per sentence: its vector by row, and its text's key for reuse."""
    for begin in range(0, len(sentences), WRITE_BATCH):
        rows = np.arange(begin, min(begin + WRITE_BATCH, len(sentences)))
        vectors = sentences.vectors_of(rows)
        points = [
            Point(SENTENCE_IDS + int(row), {SENTENCE: vector}, payload={KIND: SENTENCE_KIND, "key": int(sentences.keys[row])})
            for row, vector in zip(rows, vectors)
        ]
        engine.upsert(collection, points)
        if progress:
            progress("qdrant-sentences", int(rows[-1]) + 1, len(sentences))


def _publish(engine: QdrantEngine, alias: str, collection: str) -> None:
    """Serve ``collection``: the one step that makes a build visible."""
    engine.point_alias(alias, collection)


def previous_qdrant_vectors(target: QdrantTarget, index_dir: Path, embedder_name: str) -> dict[str, np.ndarray]:
    """Chunk vectors of the served collection keyed by the hash of the text they embed (``text_hash``);
    empty when nothing is served or it was embedded by another model."""
    return _served_vectors(target, index_dir, embedder_name, DENSE, "text_hash", storage.REUSABLE_FORMATS)


def previous_qdrant_sentence_vectors(target: QdrantTarget, index_dir: Path, embedder_name: str) -> dict[int, np.ndarray]:
    """Sentence vectors of the served collection keyed by their text's ``indexer.sentences.text_key``;
    empty when nothing is served, it has no sentences, or it was embedded by another model."""
    return _served_vectors(target, index_dir, embedder_name, SENTENCE, "key", (storage.FORMAT_VERSION,))


def _served_vectors(
    target: QdrantTarget, index_dir: Path, embedder_name: str, using: str, key: str, formats: tuple[int, ...]
) -> dict:
    try:
        build = served_build(index_dir, target)
        manifest = read_manifest(build)
        if manifest.embedder != embedder_name or manifest.format not in formats or not manifest.collection:
            return {}
        return {
            payload[key]: vector
            for _, payload, vector in target.engine().scroll(manifest.collection, using, [key])
            if payload.get(key) is not None
        }
    except (IndexProblem, OSError, ValueError, KeyError, TypeError, RuntimeError):
        return {}
