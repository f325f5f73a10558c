"""Checks of a submitted judgment against the loaded index, and the stamp of what shaped the answer.

The server recomputes nothing: it checks that every citation the reviewer judged is the cleaned
document text at the offsets the answer gives, in the index that is loaded now.
"""

from __future__ import annotations

import hashlib
import json

from indexer.settings import Settings
from indexer.storage import StoredIndex
from service.engine import Engine
from service.evidence import MODEL_FILE

from .schemas import ReviewIn
from .store import IndexStamp

#: The settings that shape an answer beyond the index itself (retrieval depth, fusion, thresholds, generator).
ANSWER_SETTINGS = (
    "search_candidates",
    "fusion",
    "rrf_k",
    "duplicate_containment",
    "fuzzy_max_distance",
    "answer_passages",
    "list_passages",
    "answer_max_sentences",
    "llm_base_url",
    "llm_model",
)


def answer_settings_hash(settings: Settings) -> str:
    """A short hash of the settings that shape answers and of the fitted evidence model; secrets and paths
    are left out."""
    shaping = {name: getattr(settings, name) for name in ANSWER_SETTINGS}
    shaping["evidence_model"] = hashlib.sha256(MODEL_FILE.read_bytes()).hexdigest()
    return hashlib.sha256(json.dumps(shaping, sort_keys=True, default=str).encode()).hexdigest()[:16]


def index_stamp(engine: Engine) -> IndexStamp:
    """The build, index settings and answering settings of the loaded engine."""
    manifest = engine.index.manifest
    return IndexStamp(manifest.build_id, manifest.settings_hash, answer_settings_hash(engine.settings))


def index_problems(review: ReviewIn, index: StoredIndex) -> list[tuple[tuple[str | int, ...], str]]:
    """Where the judged answer disagrees with the index, as (location in the request body, Swedish message)."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    loaded = index.manifest.build_id
    if review.build_id is not None and review.build_id != loaded:
        message = f"svaret kommer från indexversionen {review.build_id}, men {loaded} är laddad"
        problems.append((("build_id",), message))
    for position, citation in enumerate(review.answer.citations):
        where, name = ("answer", "citations", position), f"citat [{citation.id}]"
        document = index.documents.get(citation.doc_id)
        if document is None:
            problems.append(((*where, "doc_id"), f"{name}: dokumentet {citation.doc_id!r} finns inte i indexet"))
            continue
        chunk_position = index.chunk_position(citation.chunk_id)
        if chunk_position is None or index.chunks[chunk_position].doc_id != citation.doc_id:
            message = f"{name}: textstycket {citation.chunk_id!r} finns inte i {citation.doc_id}"
            problems.append(((*where, "chunk_id"), message))
        if citation.end > len(document.text):
            message = f"{name}: position {citation.end} ligger efter dokumentets slut ({len(document.text)})"
            problems.append(((*where, "end"), message))
        elif document.text[citation.start : citation.end] != citation.quote:
            message = f"{name}: citatet är inte dokumentets text vid {citation.start}–{citation.end}"
            problems.append(((*where, "quote"), message))
    return problems
