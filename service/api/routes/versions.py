"""Versions of a report: GET /api/documents/{doc_id}/compare?with=... and /api/documents/{doc_id}/whats-new."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from service.schemas.versions import ComparisonResponse, WhatsNewResponse, comparison_response, whats_new_response
from service.versions import NoEarlierVersion, UnknownDocument, compare, whats_new

from ..deps import EngineDep
from ..errors import ERROR_RESPONSES, NOT_FOUND_RESPONSE

router = APIRouter(prefix="/api", tags=["versioner"])
DocumentId = Annotated[
    str,
    Path(max_length=200, description="The document id (the corpus file name without suffix).",
         examples=["rinkeby-kista-naringsliv-2022-t1"]),
]


@router.get(
    "/documents/{doc_id}/compare",
    response_model=ComparisonResponse,
    responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
)
def compare_documents(
    engine: EngineDep,
    doc_id: DocumentId,
    other: Annotated[
        str,
        Query(alias="with", max_length=200, description="The later document to compare with.",
              examples=["rinkeby-kista-naringsliv-2022-t2"]),
    ],
) -> ComparisonResponse:
    """Section by section, what ``with`` (the later version) adds to and removes from ``doc_id``."""
    try:
        return comparison_response(compare(engine, doc_id, other))
    except UnknownDocument as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


@router.get(
    "/documents/{doc_id}/whats-new",
    response_model=WhatsNewResponse,
    responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
)
def whats_new_in(engine: EngineDep, doc_id: DocumentId) -> WhatsNewResponse:
    """The sentences the latest version of ``doc_id``'s report adds to the version before it."""
    try:
        return whats_new_response(whats_new(engine, doc_id))
    except (UnknownDocument, NoEarlierVersion) as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
