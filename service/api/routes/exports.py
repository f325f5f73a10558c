"""Downloads as Markdown or CSV: an answer (POST /api/ask/export), a search (GET /api/search/export) and a
coverage table (GET /api/coverage/export), each with the same input as its JSON route.

CSV starts with a byte order mark, so that Excel reads it as UTF-8 (å, ä, ö); every other reader skips it.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from service.export import to_csv, to_markdown
from service.schemas.ask import AskQuery
from service.search import SearchMode

from ..deps import EngineDep, FiltersDep, PassageCount, QueryDep
from ..errors import ERROR_RESPONSES, FILTER_RESPONSES, TOO_LARGE_RESPONSE
from .ask import answer_question
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


def download(kind: str, title: str, format_: ExportFormat, item: Any, query: str | None = None) -> Response:
    """``item`` exported as a file named after ``kind`` and ``title``, served as an attachment."""
    if format_ is ExportFormat.csv:
        body = BYTE_ORDER_MARK + to_csv(item, query=query)
    else:
        body = to_markdown(item, query=query)
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
def export_answer(request: AskQuery, engine: EngineDep, format_: FormatDep = ExportFormat.md) -> Response:
    """The answer to the question (the body of POST /api/ask) with its quotes and links, as a file."""
    answer = answer_question(engine, request)
    return download("svar", answer.question, format_, answer)


@router.get("/search/export", response_class=Response, responses={**DOWNLOAD, **FILTER_RESPONSES})
def export_search(
    engine: EngineDep,
    q: QueryDep,
    filters: FiltersDep,
    format_: FormatDep = ExportFormat.md,
    k: PassageCount = 10,
    mode: Annotated[SearchMode, Query(description="hybrid, dense or bm25.")] = SearchMode.hybrid,
) -> Response:
    """The passages of a search (the parameters of GET /api/search), as a file."""
    passages = engine.searcher.search(q, k, mode, filters)
    return download("sok", q, format_, passages, query=q)


@router.get("/coverage/export", response_class=Response, responses={**DOWNLOAD, **ERROR_RESPONSES})
def export_coverage(table: CoverageDep, format_: FormatDep = ExportFormat.md) -> Response:
    """A coverage table (the parameters of GET /api/coverage) with its quotes, as a file."""
    return download("oversikt", table.query, format_, table)
