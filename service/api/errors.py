"""Every error as ``{"detail": "<one Swedish sentence>"}``: bad input gets a 4xx, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from indexer.records import RecordError
from indexer.embedders import EmbedderError
from indexer.storage import IndexCorrupt, IndexMismatch, IndexMissing
from indexer.validation_phrases import validation_phrase
from service.schemas.errors import ErrorResponse
from service.search import QueryError, UnknownFilter

from .contract import allowed_methods
from .middleware import SECURITY_HEADERS

logger = logging.getLogger("stadshus.api")

# Replaces Starlette's English reason phrases; a route's own Swedish detail is kept as it is.
STATUS_MESSAGES = {
    400: "Felaktig förfrågan.",
    404: "Det finns inget här. Se /docs för vad API:et erbjuder.",
    405: "Metoden stöds inte för den här adressen.",
    413: "Förfrågan är för stor.",
    415: "Innehållstypen stöds inte; skicka JSON.",
    503: "Tjänsten är inte tillgänglig just nu.",
}
# FastAPI's own detail when a JSON body cannot be decoded at all.
FASTAPI_UNPARSABLE_BODY = "There was an error parsing the body"
# Shown in the OpenAPI schema for the errors every route may return.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "Ogiltig förfrågan"},
    503: {"model": ErrorResponse, "description": "Sökindexet är inte laddat"},
}
#: For the routes whose filters name districts or documents: one the index does not have is not found.
FILTER_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    404: {"model": ErrorResponse, "description": "Okänd stadsdel eller okänt dokument"},
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "Finns inte"}}
TOO_LARGE_RESPONSE: dict[int | str, dict[str, Any]] = {413: {"model": ErrorResponse, "description": "För stor förfrågan"}}


def unavailable_message(exc: Exception) -> str:
    """Why the service has no index: a Swedish sentence on what to do, then the English cause."""
    if isinstance(exc, IndexMissing):
        swedish = "Det finns inget sökindex ännu. Kör `stadshus index` och starta om tjänsten."
    elif isinstance(exc, (IndexCorrupt, RecordError)):
        swedish = "Sökindexet är skadat. Bygg om det med `stadshus index` och starta om tjänsten."
    elif isinstance(exc, IndexMismatch):
        swedish = (
            "Sökindexet byggdes med en annan inbäddningsmodell än den som är inställd. Bygg om det med `stadshus index`."
        )
    elif isinstance(exc, EmbedderError):
        swedish = "Inbäddningsmodellen kunde inte laddas."
    else:
        swedish = "Tjänsten kunde inte starta: en fil saknas eller kan inte läsas."
    return f"{swedish} ({exc})"


def validation_message(errors: Sequence[dict[str, Any]]) -> str:
    """One Swedish sentence for pydantic's validation errors (the first three are named)."""
    parts = []
    for error in errors[:3]:
        kind, ctx = error.get("type", ""), error.get("ctx") or {}
        if kind == "json_invalid":
            return "Förfrågan är inte giltig JSON."
        if kind in ("model_attributes_type", "dict_type", "model_type"):
            return "Förfrågan måste vara ett JSON-objekt."
        parts.append(f"{_field(error.get('loc', ()))} {_problem(kind, ctx)}")
    return "Ogiltig förfrågan: " + "; ".join(parts) + "."


def _field(loc: Sequence[Any]) -> str:
    where = {"query": "parametern", "body": "fältet", "path": "adressdelen", "header": "huvudet"}
    names = [str(part) for part in loc[1:] if not isinstance(part, int)]
    if not names:
        return "innehållet"
    return f"{where.get(str(loc[0]), 'värdet')} '{'.'.join(names)}'"


def _problem(kind: str, ctx: dict[str, Any]) -> str:
    # The adjective agrees with "fältet", the usual subject here (a setting's says "tom").
    if kind == "string_too_short":
        return "får inte vara tomt"
    if kind == "string_too_long":
        return f"är för långt (högst {ctx.get('max_length')} tecken)"
    return validation_phrase(kind, ctx)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into Swedish JSON."""

    @app.exception_handler(QueryError)
    async def query_error(_: Request, exc: QueryError) -> JSONResponse:
        # A district or document the index does not have is not found, like any unknown resource.
        return JSONResponse({"detail": str(exc)}, status_code=404 if isinstance(exc, UnknownFilter) else 422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_message(exc.errors())}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 405:
            headers = {**(exc.headers or {}), "Allow": ", ".join(allowed_methods(request))}
            return JSONResponse({"detail": STATUS_MESSAGES[405]}, status_code=405, headers=headers)
        if exc.status_code == 400 and exc.detail == FASTAPI_UNPARSABLE_BODY:
            # A body that is not even text (not UTF-8) is invalid JSON like any other.
            return JSONResponse({"detail": validation_message([{"type": "json_invalid"}])}, status_code=422)
        detail = exc.detail
        if not isinstance(detail, str) or detail == _reason_phrase(exc.status_code):
            detail = STATUS_MESSAGES.get(exc.status_code, "Förfrågan kunde inte behandlas.")
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RecordError)
    async def damaged_index(request: Request, exc: RecordError) -> JSONResponse:
        # A record found damaged only when a request read it: the index needs rebuilding, not the request.
        logger.error("damaged index record on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": unavailable_message(exc)}, status_code=503)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Sent by Starlette's outermost middleware, past ours: the security headers are added here.
        logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "Ett oväntat fel uppstod i tjänsten."}, status_code=500, headers=SECURITY_HEADERS)


def _reason_phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""
