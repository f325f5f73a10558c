"""The HTML pages: the web page at ``/`` and the interactive API documentation at ``/docs``."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
SWAGGER_CDN = "https://cdn.jsdelivr.net"

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"], response_class=FileResponse)
def page() -> FileResponse:
    """The web page; its script and styles are served from /static."""
    return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8")


def _swagger_page() -> tuple[bytes, str]:
    """Swagger UI's page and a policy that allows exactly its one inline script (by hash) and its CDN."""
    html = get_swagger_ui_html(openapi_url="/openapi.json", title="Stadshus API").body
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in re.findall(rb"<script>(.*?)</script>", html, re.DOTALL)
    )
    policy = (
        f"default-src 'self'; script-src 'self' {SWAGGER_CDN} {hashes}; style-src 'self' 'unsafe-inline' {SWAGGER_CDN}; "
        "img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    return html, policy


_SWAGGER_HTML, _SWAGGER_POLICY = _swagger_page()


@router.api_route("/docs", methods=["GET", "HEAD"], response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """Swagger UI over /openapi.json (loaded from its CDN, which the policy allows for this page only)."""
    return HTMLResponse(_SWAGGER_HTML, headers={"Content-Security-Policy": _SWAGGER_POLICY})
