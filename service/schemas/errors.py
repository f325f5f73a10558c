"""The body of every error the API returns."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorResponse(BaseModel):
    """Every error the API returns: one Swedish sentence for the person who sent the request."""

    detail: str
