"""Checks of a submitted judgment against the loaded index, the signatures of the answers the service
gives, and the stamp of what shaped an answer.

The server recomputes nothing: it checks that the answer carries the signature the service gave it (so
it is an answer the service gave, unchanged), that its districts are the gazetteer's, and that every
citation is the cleaned document text at the offsets the answer gives, in the index that is loaded now.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from indexer.gazetteer import Gazetteer
from indexer.settings import Settings
from indexer.storage import StoredIndex
from service.engine import Engine
from service.evidence import MODEL_FILE

from pydantic import ValidationError

from service.schemas.ask import AskResponse

from .schemas import ReviewedAnswer, ReviewIn
from .store import IndexStamp

#: The settings group whose values shape an answer beyond the index itself (indexer.settings.GROUPS).
ANSWER_GROUP = "search"


def answer_settings_hash(settings: Settings) -> str:
    """A short hash of the settings that shape answers (their whole group; secrets left out) and of the
    fitted evidence model."""
    shaping = {"settings": settings.group_hash(ANSWER_GROUP), "evidence_model": hashlib.sha256(MODEL_FILE.read_bytes()).hexdigest()}
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:16]


def signed(response: AskResponse, secret: bytes, build_id: str) -> AskResponse:
    """``response`` with its signature; unsigned when it could not be judged anyway (outside the bounds of
    a judged answer)."""
    try:
        answer = ReviewedAnswer.model_validate(response.model_dump() | {"signature": "0" * 64})
    except ValidationError:
        return response
    return response.model_copy(update={"signature": answer_signature(secret, answer, build_id)})


def answer_signature(secret: bytes, answer: ReviewedAnswer, build_id: str) -> str:
    """HMAC-SHA256 of what a judgment stores of an answer (question, text, citations, district lines,
    generator) and the build that gave it."""
    payload = [
        answer.question,
        answer.answer,
        answer.supported,
        [[c.id, c.doc_id, c.chunk_id, c.start, c.end, c.quote] for c in answer.citations],
        [[line.name, line.citations, line.involvement] for line in answer.districts],
        answer.generator,
        build_id,
    ]
    message = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def index_stamp(engine: Engine) -> IndexStamp:
    """The build, index settings and answering settings of the loaded engine."""
    manifest = engine.index.manifest
    return IndexStamp(manifest.build_id, manifest.settings_hash, answer_settings_hash(engine.settings))


def index_problems(
    review: ReviewIn, index: StoredIndex, gazetteer: Gazetteer, secret: bytes
) -> list[tuple[tuple[str | int, ...], str]]:
    """Where the judged answer is not one the service gave from the loaded index, as (location in the
    request body, Swedish message); a signature that does not match is the only problem reported."""
    loaded = index.manifest.build_id
    if review.build_id is not None and review.build_id != loaded:
        message = f"svaret kommer från indexversionen {review.build_id}, men {loaded} är laddad"
        return [(("build_id",), message)]
    if not hmac.compare_digest(answer_signature(secret, review.answer, loaded), review.answer.signature):
        message = (
            "svaret är inte ett som tjänsten gav för det laddade indexet (ändrat, påhittat eller från en "
            "tidigare indexversion); fråga igen och granska det nya svaret"
        )
        return [(("answer", "signature"), message)]
    problems: list[tuple[tuple[str | int, ...], str]] = []
    known = set(gazetteer.names)
    for position, line in enumerate(review.answer.districts):
        if line.name not in known:
            problems.append((("answer", "districts", position, "name"), f"stadsdelen {line.name!r} finns inte"))
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
