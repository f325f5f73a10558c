"""The FastAPI application: ``create_app`` wires settings, the engine (loaded once), routes and the page.

``stadshus serve`` runs ``uvicorn service.api.main:create_app --factory``; tests pass a loaded engine.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from indexer.embedders import EmbedderError
from indexer.settings import Settings, get_settings
from indexer.storage import IndexProblem
from service.engine import Engine, load_engine

from .deps import ServiceState
from .errors import install_error_handlers, unavailable_message
from .middleware import BodyLimit, SecurityHeaders
from .routes import ask, districts, documents, health, pages, search

MAX_BODY_BYTES = 64 * 1024
logger = logging.getLogger("stadshus.api")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the index and the embedder once; if that fails, serve on and report why (503)."""
    state: ServiceState = app.state.service
    if state.engine is None:
        try:
            state.engine = await run_in_threadpool(load_engine, state.settings)
        except (IndexProblem, EmbedderError, OSError) as exc:
            state.error = unavailable_message(exc)
            logger.error("the index could not be loaded: %s", exc)
    yield


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The application. With ``engine`` it serves that engine and loads nothing; otherwise the lifespan
    loads one from ``settings`` (default: the environment's ``STADSHUS_*``)."""
    if settings is None:
        settings = engine.settings if engine is not None else get_settings()
    app = FastAPI(
        title="Stadshus",
        summary="Semantisk sökning och svar med källhänvisningar i Stockholms stads dokument.",
        lifespan=lifespan,
        docs_url=None,  # served by routes.pages with its own content security policy
        redoc_url=None,
        redirect_slashes=False,  # "/api/documents/x/" is not found rather than redirected
    )
    app.state.service = ServiceState(settings=settings, engine=engine)
    install_error_handlers(app)
    # The last added runs first: security headers wrap everything, including the 413 of the body limit.
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeaders)
    for module in (health, search, ask, documents, districts, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=pages.WEB_DIR), name="static")
    return app
