"""More like this: passages elsewhere in the corpus that say something similar to one passage.

The passage's own stored vector is the query, so nothing is embedded. Its own document, the other versions
of the same report and the passage's near-duplicates are left out (they would only repeat it), and by
default so are passages about the same districts: the point is to find who else works this way. A
city-wide document that speaks of several districts (one section per district) is the exception: its
passages about other districts are what "who else" means there, so they stay in. Text
repeated within one document shows once: neighbouring chunks share sentences, and a document may say the
same thing twice.
"""

from __future__ import annotations

from dataclasses import replace

from indexer.duplicates import shingles
from indexer.types import Passage

from .engine import Engine
from .versions import family_id


class UnknownChunk(KeyError):
    """A chunk id the index does not hold; the message is Swedish."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def similar_passages(engine: Engine, chunk_id: str, k: int = 10, other_districts_only: bool = True) -> list[Passage]:
    """The ``k`` passages most similar to ``chunk_id`` by dense similarity, best first.

    Raises ``UnknownChunk`` for an id the index does not hold and ``QueryError`` for a ``k`` out of range.
    """
    index = engine.index
    position = index.chunk_position(chunk_id)
    if position is None:
        raise UnknownChunk(f"Okänt textstycke: {chunk_id!r}. Det kan ha försvunnit vid en omindexering; sök igen.")
    k = engine.searcher.check_k(k)
    source = index.chunks[position]
    infos = index.documents.infos
    family = family_id(infos[source.doc_id])
    excluded_docs = {doc_id for doc_id, info in infos.items() if family_id(info) == family}
    excluded = {position, *index.duplicates.get(position, [])}
    districts = set(source.districts) if other_districts_only else set()
    spoken_of = {d for p in index.chunks.positions_of_documents([source.doc_id]) for d in index.chunks.districts(int(p))}
    # Own-document passages about other districts than the source's, when the document has several.
    own_document_elsewhere = bool(source.districts) and len(spoken_of) > 1

    def allowed(candidate: int) -> bool:
        if candidate in excluded:
            return False
        chunk = index.chunks[candidate]
        if chunk.doc_id == source.doc_id and own_document_elsewhere:
            return bool(chunk.districts) and not set(source.districts) & set(chunk.districts)
        return chunk.doc_id not in excluded_docs and not districts & set(chunk.districts)

    query = index.dense.vector(position)
    depth = min(len(index.chunks), 4 * k)
    while True:
        positions, scores = index.dense.search(query, depth)
        ranked = [(p, s) for p, s in zip(positions.tolist(), scores.tolist()) if allowed(p)]
        # The searcher's own collapsing: near-duplicates in other documents shown once, their documents in
        # ``also_in``; then repeats within a document.
        collapsed = engine.searcher.passages(ranked, len(ranked), collapse=True)
        passages = _one_per_repeated_text(collapsed, k, engine.settings.duplicate_containment)
        if len(passages) == k or depth >= len(index.chunks):
            return passages
        depth = min(len(index.chunks), 4 * depth)



def _one_per_repeated_text(passages: list[Passage], k: int, containment: float) -> list[Passage]:
    """The first ``k`` of ``passages`` (best first) without those that repeat a better one of the same
    document, renumbered from 1.

    A passage repeats another of its document when their chunks overlap (chunks of a section share the
    sentences at their edges) or when they are near-duplicates by the index's rule (``indexer.duplicates``:
    most word 5-shingles of the shorter also in the other), which ``index.duplicates`` applies across
    documents only.
    """
    kept: list[Passage] = []
    grams: dict[str, frozenset[int]] = {}

    def shingled(passage: Passage) -> frozenset[int]:
        if passage.chunk.chunk_id not in grams:
            grams[passage.chunk.chunk_id] = shingles(passage.chunk.text)
        return grams[passage.chunk.chunk_id]

    def repeats(passage: Passage, other: Passage) -> bool:
        a, b = passage.chunk, other.chunk
        if a.start < b.end and b.start < a.end:
            return True
        first, second = shingled(passage), shingled(other)
        return len(first & second) >= containment * min(len(first), len(second))

    for passage in passages:
        if any(other.chunk.doc_id == passage.chunk.doc_id and repeats(passage, other) for other in kept):
            continue
        kept.append(replace(passage, rank=len(kept) + 1))
        if len(kept) == k:
            break
    return kept
