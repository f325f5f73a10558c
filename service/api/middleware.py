"""Two small ASGI middlewares: security headers on every response, and a cap on request body size."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The page's own files only: no inline script, no external hosts, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
TOO_LARGE = "Förfrågan är för stor (högst {limit} kB)."


class SecurityHeaders:
    """Adds the security headers to every HTTP response; a response that sets its own CSP keeps it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """Raised while the body is read, so that the route's error handling answers 413."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=TOO_LARGE.format(limit=limit // 1024))


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with 413: at once when Content-Length says so, and
    while reading when a chunked body grows past the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        # Path prefixes allowed a larger body (document uploads), each with its own limit.
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = next((size for prefix, size in self.larger.items() if scope["path"].startswith(prefix)), self.max_bytes)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and not declared.isdigit():
            await JSONResponse({"detail": "Ogiltig Content-Length."}, status_code=400)(scope, receive, send)
            return
        if declared is not None and int(declared) > limit:
            detail = TOO_LARGE.format(limit=limit // 1024)
            await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
