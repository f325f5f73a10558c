"""GET /api/documents and /api/documents/{doc_id}: the indexed documents and their cleaned text.

A document is looked up by id in the loaded index only, never on disk, so no path can reach a file.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from service.schemas import DocumentDetail, DocumentSummary, document_detail, document_summary

from ..deps import EngineDep
from ..errors import ERROR_RESPONSES, NOT_FOUND_RESPONSE

router = APIRouter(prefix="/api", tags=["dokument"])


@router.get("/documents", response_model=list[DocumentSummary], responses=ERROR_RESPONSES)
def list_documents(engine: EngineDep) -> list[DocumentSummary]:
    """Every indexed document, by id."""
    records = engine.index.manifest.documents
    return [document_summary(document, records[doc_id].chunks) for doc_id, document in sorted(engine.index.documents.items())]


@router.get("/documents/{doc_id}", response_model=DocumentDetail, responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE})
def get_document(
    engine: EngineDep,
    doc_id: Annotated[
        str,
        Path(
            max_length=200,
            description="The document id (the corpus file name without suffix).",
            examples=["rinkeby-kista-lup-2017-2022"],
        ),
    ],
    start: Annotated[int | None, Query(ge=0, description="Start offset of a passage to return as well.")] = None,
    end: Annotated[int | None, Query(ge=0, description="End offset of that passage.")] = None,
) -> DocumentDetail:
    """A document's metadata, cleaned text, sections and pages; with ``start`` and ``end``, that passage too."""
    document = engine.index.documents.get(doc_id)
    if document is None:
        raise HTTPException(status_code=404, detail="Dokumentet finns inte i indexet. Se /api/documents för giltiga id.")
    passage = None
    if start is not None or end is not None:
        if start is None or end is None:
            raise HTTPException(status_code=422, detail="Ange både start och end för ett textavsnitt.")
        if not start < end <= len(document.text):
            raise HTTPException(
                status_code=422,
                detail=f"Textavsnittet måste ligga inom dokumentet: 0 ≤ start < end ≤ {len(document.text)}.",
            )
        passage = (start, end)
    return document_detail(document, engine.index.manifest.documents[doc_id].chunks, passage)
