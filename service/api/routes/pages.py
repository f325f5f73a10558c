"""The HTML pages: the web page at ``/`` and the API documentation at ``/docs`` (Swagger UI) and ``/redoc``.

Swagger UI and ReDoc come from the files bundled in the ``fastapi-offline`` package, served under
``/static/api-docs``, so the documentation loads with no network beyond this server.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
#: Swagger UI's and ReDoc's own files, as the package ships them.
API_DOCS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
API_DOCS_URL = "/static/api-docs"
TITLE = "Stadshus API"

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"], response_class=FileResponse)
def page() -> FileResponse:
    """The web page; its script and styles are served from /static."""
    return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8")


def _with_policy(html: bytes, extra: str = "") -> tuple[bytes, str]:
    """``html`` and a policy allowing this server's files and exactly the page's inline scripts (by hash)."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in re.findall(rb"<script>(.*?)</script>", html, re.DOTALL)
    )
    policy = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; frame-ancestors 'none'{extra}"
    )
    return html, policy


_SWAGGER_HTML, _SWAGGER_POLICY = _with_policy(
    get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=TITLE,
        swagger_js_url=f"{API_DOCS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{API_DOCS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{API_DOCS_URL}/favicon.png",
    ).body
)
# ReDoc renders in a web worker it starts from a blob: URL.
_REDOC_HTML, _REDOC_POLICY = _with_policy(
    get_redoc_html(
        openapi_url="/openapi.json",
        title=TITLE,
        redoc_js_url=f"{API_DOCS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{API_DOCS_URL}/favicon.png",
        with_google_fonts=False,
    ).body,
    "; worker-src 'self' blob:",
)


@router.api_route("/docs", methods=["GET", "HEAD"], response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """Swagger UI over /openapi.json, from this server's own files."""
    return HTMLResponse(_SWAGGER_HTML, headers={"Content-Security-Policy": _SWAGGER_POLICY})


@router.api_route("/redoc", methods=["GET", "HEAD"], response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    """ReDoc over /openapi.json, from this server's own files."""
    return HTMLResponse(_REDOC_HTML, headers={"Content-Security-Policy": _REDOC_POLICY})
