"""GET /healthz's JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthResponse(BaseModel):
    """Whether the service has a loaded index, and which one."""

    status: Literal["ok", "error"]
    index_loaded: bool
    documents: int
    chunks: int
    embedder: str = Field(description="The loaded index's embedder, or the configured one when none is loaded.")
    build: str | None = Field(description="The build id of the loaded index.")
    message: str | None = Field(None, description="Why the index is not loaded (Swedish, then the English cause).")
    reviews: str | None = Field(
        None, description="Why the review API cannot store judgments (Swedish), when it cannot; null otherwise."
    )
    last_build_error: str | None = Field(
        None, description="Why the last index build failed (from the command line or the API); null if it succeeded."
    )
