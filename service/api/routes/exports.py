"""Downloads as Markdown or CSV: an answer (POST /api/ask/export), a search (GET /api/search/export) and a
coverage table (GET /api/coverage/export), each with the same input as its JSON route.

CSV is Swedish Excel's (``;``, decimal commas, Ja/Nej, the page's labels: ``service.export``) and starts
with a byte order mark, so that Excel reads it as UTF-8 (å, ä, ö); every other reader skips it. Links are
absolute: from ``STADSHUS_PUBLIC_URL``, else from the address the request came to.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from service.engine import Engine
from service.export import to_csv, to_markdown
from service.links import Links, base_url
from service.results import search_page
from service.schemas.ask import AskQuery
from service.search import SearchMode

from ..deps import EngineDep, FiltersDep, PassageCount, QueryDep
from ..errors import ERROR_RESPONSES, FILTER_RESPONSES, TOO_LARGE_RESPONSE
from .ask import answer_request
from .coverage import CoverageDep

router = APIRouter(prefix="/api", tags=["export"])

MEDIA_TYPES = {"md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8"}
BYTE_ORDER_MARK = "\ufeff"
FILENAME_LENGTH = 60
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment (Content-Disposition).",
        "content": {media_type: {"schema": {"type": "string"}} for media_type in MEDIA_TYPES.values()},
    }
}


class ExportFormat(str, Enum):
    """The file formats of a download."""

    md = "md"
    csv = "csv"


FormatDep = Annotated[ExportFormat, Query(alias="format", description="md (Markdown) or csv.")]


def links_for(engine: Engine, request: Request) -> Links:
    """Links starting at the public address, or at the address this request came to."""
    return Links(base_url(engine.settings.public_url, str(request.base_url)), engine.index.documents.infos)


def download(kind: str, title: str, format_: ExportFormat, item: Any, links: Links, query: str | None = None) -> Response:
    """``item`` exported as a file named after ``kind`` and ``title``, served as an attachment."""
    if format_ is ExportFormat.csv:
        body = BYTE_ORDER_MARK + to_csv(item, links, query=query)
    else:
        body = to_markdown(item, links, query=query)
    filename = f"stadshus-{kind}-{slug(title)}.{format_.value}"
    return Response(
        body,
        media_type=MEDIA_TYPES[format_.value],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def slug(text: str) -> str:
    """An ASCII file-name part for ``text``: "Vilka stadsdelar …?" -> "vilka-stadsdelar-…"."""
    folded = text.lower().translate(str.maketrans("åäöéüæø", "aaoeuao"))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:FILENAME_LENGTH].strip("-") or "export"


@router.post(
    "/ask/export", response_class=Response, responses={**DOWNLOAD, **FILTER_RESPONSES, **TOO_LARGE_RESPONSE}
)
def export_answer(
    request: AskQuery, engine: EngineDep, http: Request, format_: FormatDep = ExportFormat.md
) -> Response:
    """The answer to the question (the body of POST /api/ask) with its quotes and links, as a file."""
    answer = answer_request(engine, request)
    return download("svar", answer.question, format_, answer, links_for(engine, http))


@router.get("/search/export", response_class=Response, responses={**DOWNLOAD, **FILTER_RESPONSES})
def export_search(
    engine: EngineDep,
    http: Request,
    q: QueryDep,
    filters: FiltersDep,
    format_: FormatDep = ExportFormat.md,
    k: PassageCount = 10,
    offset: Annotated[int, Query(description="Hits to skip (paging): 0 for the first page.")] = 0,
    mode: Annotated[SearchMode, Query(description="hybrid, dense or bm25.")] = SearchMode.hybrid,
) -> Response:
    """The page of a search (the parameters of GET /api/search), as a file."""
    page = search_page(engine, q, offset, k, mode, filters)
    return download("sok", q, format_, [hit.passage for hit in page.hits], links_for(engine, http), query=page.query)


@router.get("/coverage/export", response_class=Response, responses={**DOWNLOAD, **ERROR_RESPONSES})
def export_coverage(
    table: CoverageDep, engine: EngineDep, http: Request, format_: FormatDep = ExportFormat.md
) -> Response:
    """A coverage table (the parameters of GET /api/coverage) with its quotes, as a file."""
    return download("oversikt", table.query, format_, table, links_for(engine, http))
