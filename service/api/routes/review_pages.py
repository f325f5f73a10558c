"""The review page at ``/granskning``: judgments in a table with filters, the summary figures and a chart."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from .pages import WEB_DIR

router = APIRouter(include_in_schema=False)


@router.api_route("/granskning", methods=["GET", "HEAD"], response_class=FileResponse)
def review_page() -> FileResponse:
    """The review page; its script and styles are served from /static, its data from /api/reviews."""
    return FileResponse(WEB_DIR / "granskning.html", media_type="text/html; charset=utf-8")
