"""GET /api/documents, /api/documents/{doc_id} and /api/documents/{doc_id}/original: the indexed
documents, their cleaned text and their original files.

A document is looked up by id in the loaded index only, so no path in a request can reach a file: the
original is the file the index read it from, inside the corpus folder.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import FileResponse

from indexer.types import Document
from service.schemas.documents import DocumentDetail, DocumentSummary, document_detail, document_summary
from service.versions import family_id, report_families, versions

from ..deps import EngineDep
from ..errors import ERROR_RESPONSES, NOT_FOUND_RESPONSE

router = APIRouter(prefix="/api", tags=["dokument"])
DocumentId = Annotated[
    str,
    Path(max_length=200, description="The document id (the corpus file name without suffix).",
         examples=["rinkeby-kista-lup-2017-2022"]),
]
# The original files' types; anything else is served as bytes to download.
MEDIA_TYPES = {
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
}
# An original opens in the browser, but never runs a script or reaches anything (an HTML file from the corpus).
ORIGINAL_POLICY = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
ORIGINAL_RESPONSE: dict[int | str, dict] = {
    200: {"description": "The original file, read-only.", "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in set(MEDIA_TYPES.values())}},
}


@router.get("/documents", response_model=list[DocumentSummary], responses=ERROR_RESPONSES)
def list_documents(engine: EngineDep) -> list[DocumentSummary]:
    """Every indexed document, by id."""
    records = engine.index.manifest.documents
    links = version_links(engine.index.documents.infos)
    return [
        document_summary(document, records[doc_id].chunks).model_copy(
            update={"family": links[doc_id][0], "versions": links[doc_id][1]}
        )
        for doc_id, document in sorted(engine.index.documents.infos.items())
    ]


def version_links(documents: Mapping[str, Document]) -> dict[str, tuple[str, list[str]]]:
    """Each document's report family and the ids of the family's versions, earliest first."""
    families = report_families(documents)
    members: dict[str, dict[str, Document]] = defaultdict(dict)
    for doc_id, family in families.items():
        members[family][doc_id] = documents[doc_id]
    # Ordered within each family only, so the listing stays linear in the number of documents.
    ordered = {family: [d.doc_id for d in versions(group, next(iter(group)))] for family, group in members.items()}
    return {doc_id: (family, ordered[family]) for doc_id, family in families.items()}


@router.get("/documents/{doc_id}", response_model=DocumentDetail, responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE})
def get_document(
    engine: EngineDep,
    doc_id: DocumentId,
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
    detail = document_detail(document, engine.index.manifest.documents[doc_id].chunks, passage)
    members = [d.doc_id for d in versions(engine.index.documents.infos, doc_id)]
    return detail.model_copy(update={"family": family_id(document), "versions": members})


@router.get(
    "/documents/{doc_id}/original",
    response_class=FileResponse,
    responses={**ORIGINAL_RESPONSE, **ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
)
def original_file(engine: EngineDep, doc_id: DocumentId) -> FileResponse:
    """The file the document was indexed from, as it is in the corpus folder (a PDF: append #page=N)."""
    info = engine.index.documents.infos.get(doc_id)
    if info is None:
        raise HTTPException(status_code=404, detail="Dokumentet finns inte i indexet. Se /api/documents för giltiga id.")
    corpus = engine.settings.corpus_dir.resolve()
    path = (corpus / info.source).resolve()
    if not path.is_relative_to(corpus) or not path.is_file():
        raise HTTPException(status_code=404, detail="Originalfilen finns inte längre i dokumentmappen; indexera om.")
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream"),
        content_disposition_type="inline",
        filename=path.name,
        headers={"Content-Security-Policy": ORIGINAL_POLICY},
    )
