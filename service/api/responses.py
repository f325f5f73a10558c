"""The JSON response of a route that builds its own pydantic model."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response


class ModelResponse(Response):
    """A response model serialised once, by pydantic, as the route built it.

    FastAPI would validate a returned model again against the route's ``response_model`` (on a second
    worker thread for a sync route) and then serialise it; the model was validated when it was built, so
    this skips both (a fifth of a search request's CPU under load; docs/scaling.md). The route keeps its
    ``response_model`` for the OpenAPI schema, which the schemathesis tests hold the responses to.
    """

    media_type = "application/json"

    def render(self, content: BaseModel) -> bytes:
        return content.__pydantic_serializer__.to_json(content)
