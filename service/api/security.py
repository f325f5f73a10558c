"""API keys: declared in the OpenAPI schema as security schemes, and checked before the body is read.

FastAPI reads and decodes a request's JSON body before it runs the route's dependencies, so a request
without a key but with broken JSON would get 422 where it should get 401. ``KeyFirstRoute`` runs the
routes' key checks (dependencies made by ``key_dependency``) first, on the bare request.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of the dependency that
# ``key_dependency`` makes, and as text they would name its local ``scheme``, which it cannot resolve.
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

from fastapi import Request, Response, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader

T = TypeVar("T")
#: The administration key (``STADSHUS_ADMIN_KEY``), in ``X-API-Key``.
ADMIN_KEY = APIKeyHeader(
    name="X-API-Key", scheme_name="AdminKey", description="STADSHUS_ADMIN_KEY", auto_error=False
)
#: A reviewer's key (one of ``STADSHUS_REVIEWER_KEYS``), in ``X-Reviewer-Key``.
REVIEWER_KEY = APIKeyHeader(
    name="X-Reviewer-Key", scheme_name="ReviewerKey", description="One of STADSHUS_REVIEWER_KEYS", auto_error=False
)
KEY_CHECK = "__key_check__"


def key_dependency(scheme: APIKeyHeader, check: Callable[[Request], T]) -> Callable[..., T]:
    """A dependency that declares ``scheme`` in the schema and returns ``check(request)``; under
    ``KeyFirstRoute`` the check also runs before the body is read. ``check`` raises the HTTP error that
    refuses the request (401, or 403/404/503 when the keys are off or unusable)."""

    def dependency(request: Request, _: Annotated[str | None, Security(scheme)] = None) -> T:
        return check(request)

    setattr(dependency, KEY_CHECK, check)
    dependency.__doc__ = check.__doc__
    return dependency


class KeyFirstRoute(APIRoute):
    """A route that runs the key checks among its dependencies before FastAPI reads the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        checks = [getattr(d.call, KEY_CHECK) for d in self.dependant.dependencies if hasattr(d.call, KEY_CHECK)]
        if not checks:
            return handler

        async def checked_first(request: Request) -> Response:
            for check in checks:
                check(request)
            return await handler(request)

        return checked_first
