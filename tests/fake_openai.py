"""A tiny OpenAI-compatible chat server for tests: loopback only, replies scripted per test.

Only ``POST /v1/chat/completions`` (non-streaming) is served. Each request takes the next scripted reply:
a string is returned as the assistant's message, ``Fail(status)`` as an HTTP error, and ``Hang()`` is never
answered (until the server stops), so the client's timeout fires however slow the machine is.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Fail:
    """Answer with this HTTP status and an OpenAI-style error body."""

    status: int = 500
    message: str = "scripted failure"


@dataclass(frozen=True)
class Hang:
    """Never answer; the request is held until the server stops."""


Reply = str | Fail | Hang


class FakeOpenAI:
    """The server, its script of replies and the JSON bodies of the requests it received."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)

    @property
    def host(self) -> str:
        """The address the server listens on (always loopback)."""
        return self._server.server_address[0]

    @property
    def base_url(self) -> str:
        """The base URL to give an OpenAI client."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        """Forget earlier replies and requests; answer the next requests with ``replies``, in order."""
        with self._lock:
            self.replies = deque(replies)
            self.requests = []

    def start(self) -> FakeOpenAI:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release held requests and stop serving."""
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict) -> Reply:
        with self._lock:
            self.requests.append(body)
            return self.replies.popleft() if self.replies else Fail(500, "no scripted reply left")


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._json(404, {"error": {"message": f"unknown path {self.path}", "type": "invalid_request_error"}})
                return
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            reply = fake._next(body)
            if isinstance(reply, Hang):
                fake._released.wait()
                return
            if isinstance(reply, Fail):
                self._json(reply.status, {"error": {"message": reply.message, "type": "server_error"}})
                return
            self._json(200, _completion(body.get("model", ""), reply))

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            """Keep test output quiet."""

    return Handler


def _completion(model: str, content: str) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
