"""Endpoints that change what is served: re-index, upload and delete documents. They need the API key
from settings (header X-API-Key, compared in constant time, before the body is read); with no key
configured they do not exist (404)."""

from __future__ import annotations

import hmac
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path as PathParameter, Request, status
from pydantic import BaseModel

from indexer.readers import SUPPORTED_SUFFIXES
from service.schemas.errors import ErrorResponse

from ..deps import EngineDep, SettingsDep, StateDep
from ..lifecycle import ReindexStatus
from ..security import ADMIN_KEY, KeyFirstRoute, key_dependency

router = APIRouter(
    prefix="/api/admin",
    tags=["administration"],
    route_class=KeyFirstRoute,
    responses={
        401: {"model": ErrorResponse, "description": "Fel eller saknad API-nyckel"},
        404: {"model": ErrorResponse, "description": "Administrationen är avstängd, eller dokumentet finns inte"},
        422: {"model": ErrorResponse, "description": "Ogiltig förfrågan"},
        413: {"model": ErrorResponse, "description": "För stor fil"},
        503: {"model": ErrorResponse, "description": "Sökindexet är inte laddat"},
    },
)
SAFE_NAME = re.compile(r"^[\w][\w .()-]{0,150}$")


def require_admin(request: Request) -> None:
    """Let the request through only with the configured key; without one, administration is off."""
    settings = request.app.state.settings
    if settings.admin_key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Administration är avstängd (ingen API-nyckel är inställd).")
    given = request.headers.get(ADMIN_KEY.model.name)
    expected = settings.admin_key.get_secret_value().encode()
    if given is None or not hmac.compare_digest(given.encode(), expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Fel eller saknad API-nyckel (X-API-Key).")


Admin = Annotated[None, Depends(key_dependency(ADMIN_KEY, require_admin))]


class ReindexResponse(BaseModel):
    """The state of the last re-index started through the API. A change sent while a build runs is
    ``queued``: a following build applies it, and ``running`` stays true until that one has finished."""

    started: bool
    queued: bool
    running: bool
    started_at: str | None
    finished_at: str | None
    documents: int | None
    chunks: int | None
    skipped: list[str]
    error: str | None


def _response(started: bool, current: ReindexStatus) -> ReindexResponse:
    return ReindexResponse(started=started, **current.__dict__)


@router.post("/reindex", response_model=ReindexResponse, status_code=202)
def reindex(_: Admin, state: StateDep) -> ReindexResponse:
    """Re-index the corpus in the background; the new build is served as soon as it is complete."""
    started = state.start_reindex()
    return _response(started, state.reindex)


@router.get("/reindex", response_model=ReindexResponse)
def reindex_status(_: Admin, state: StateDep) -> ReindexResponse:
    """How the last re-index went."""
    return _response(False, state.reindex)


@router.put("/documents/{name}", response_model=ReindexResponse, status_code=202)
async def upload(name: str, request: Request, _: Admin, state: StateDep, settings: SettingsDep) -> ReindexResponse:
    """Store the request body as ``name`` in the corpus folder and re-index. The body (up to the
    ``max_upload_bytes`` setting) is streamed to a hidden file beside the target, renamed into place whole."""
    target = _corpus_file(settings.corpus_dir, name)
    if target.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise HTTPException(422, f"Filtypen stöds inte; tillåtna: {', '.join(SUPPORTED_SUFFIXES)}.")
    temporary = target.with_name(f".{target.name}.upload")
    try:
        blank = await _stream_to(request, temporary)
        if blank:
            raise HTTPException(422, "Filen är tom.")
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
    return _response(state.start_reindex(), state.reindex)


async def _stream_to(request: Request, path: Path) -> bool:
    """Write the request body to ``path`` piece by piece; True if it held nothing but whitespace."""
    blank = True
    with path.open("wb") as file:
        async for piece in request.stream():
            blank = blank and not piece.strip()
            file.write(piece)
    return blank


# The same path parameter as PUT's, so that the schema gives the address one path item (and Allow both).
@router.delete("/documents/{name}", response_model=ReindexResponse, status_code=202)
def delete(
    name: Annotated[str, PathParameter(description="The document id (for PUT: the file name).")],
    _: Admin,
    state: StateDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> ReindexResponse:
    """Remove an indexed document's file from the corpus and re-index."""
    document = engine.index.documents.get(name)
    if document is None:
        raise HTTPException(404, f"Okänt dokument: {name!r}.")
    path = _inside(settings.corpus_dir, Path(settings.corpus_dir) / document.source)
    path.unlink(missing_ok=True)
    state.deleted.add(name)
    return _response(state.start_reindex(), state.reindex)


def _corpus_file(corpus_dir: Path, name: str) -> Path:
    if not SAFE_NAME.match(name) or name.startswith("."):
        raise HTTPException(422, "Ogiltigt filnamn (bokstäver, siffror, mellanslag, . - _ ( ) ; inga mappar).")
    return _inside(corpus_dir, Path(corpus_dir) / name)


def _inside(corpus_dir: Path, path: Path) -> Path:
    """``path`` if it lies inside the corpus folder; anything else is refused (no path traversal)."""
    root = Path(corpus_dir).resolve()
    resolved = path.resolve()
    if not resolved.is_relative_to(root) or resolved == root:
        raise HTTPException(422, "Sökvägen ligger utanför dokumentmappen.")
    return resolved
