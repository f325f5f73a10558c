"""The FastAPI application: ``create_app`` wires settings, the engine (loaded once), routes and the page.

``stadshus serve`` runs ``uvicorn service.api.main:create_app --factory``; tests pass a loaded engine.
"""

from __future__ import annotations

import faulthandler
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from indexer.embedders import EmbedderError
from indexer.settings import Settings, get_settings
from indexer.storage import IndexProblem
from service.engine import Engine, load_engine
from service.reviews import routes as reviews
from service.reviews.store import ReviewStore, ReviewStoreUnavailable

from .contract import with_settings_limits
from .deps import ServiceState, served_engine
from .errors import ERROR_RESPONSES, TOO_LARGE_RESPONSE, install_error_handlers, unavailable_message
from .middleware import BodyLimit, SecurityHeaders
from .routes import (
    admin,
    ask,
    coverage,
    districts,
    documents,
    exports,
    health,
    pages,
    passages,
    review_pages,
    search,
    versions,
)

MAX_BODY_BYTES = 64 * 1024
logger = logging.getLogger("stadshus.api")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the index and the embedder once and open the review database; if either fails, serve on and
    report why (the index: 503 everywhere; the review database: 503 on /api/reviews only)."""
    state: ServiceState = app.state.service
    # A file of the served build cut short under its memory map ends the worker with SIGBUS, which Python
    # cannot catch: the fault and every thread's stack go to the log, and the supervisor starts the worker
    # again (stadshus serve), which refuses the damaged build when it loads it.
    faulthandler.enable()
    # Every route and dependency that is not async runs in this pool; a small one queues requests fairly
    # instead of letting many share the cores and all finish late.
    anyio.to_thread.current_default_thread_limiter().total_tokens = state.settings.request_threads
    if state.engine is None:
        try:
            state.engine = await run_in_threadpool(load_engine, state.settings)
        except (IndexProblem, EmbedderError, OSError) as exc:
            state.error = unavailable_message(exc)
            logger.error("the index could not be loaded: %s", exc)
    app.state.review_store = await run_in_threadpool(_open_review_store, app)
    try:
        yield
    finally:
        if app.state.review_store is not None:
            app.state.review_store.close()
            app.state.review_store = None


def _open_review_store(app: FastAPI) -> ReviewStore | None:
    """The review database of the app's settings, or None.

    Refused reviewer keys cost writing only, a refused database URL the review routes only (503):
    ``app.state.review_problem`` says why judgments cannot be stored (as does a database that cannot be opened).
    """
    settings: Settings = app.state.settings
    if "reviewer_keys" in settings.refused:
        logger.error(
            "%s; POST /api/reviews answers 503 until it is fixed, reading the reviews still works",
            settings.refused["reviewer_keys"],
        )
        app.state.review_problem = reviews.KEYS_INVALID
    if settings.db_url is None:
        logger.error("%s; the review routes answer 503 until it is fixed", settings.refused.get("db_url"))
        app.state.review_problem = reviews.DATABASE_URL_INVALID
        return None
    try:
        return ReviewStore.open(settings.db_url)
    except (ReviewStoreUnavailable, SQLAlchemyError, ImportError) as exc:
        logger.error("the review database could not be opened; /api/reviews answers 503: %s", exc)
        app.state.review_problem = reviews.DATABASE_CLOSED
        return None


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The application. With ``engine`` it serves that engine and loads nothing; otherwise the lifespan
    loads one from ``settings`` (default: the engine's, else the environment's ``STADSHUS_*``, which
    raises ``SettingsInvalid`` when a value is refused). The settings also name the review database and
    the reviewers' keys."""
    if settings is None:
        settings = engine.settings if engine is not None else get_settings()
    app = FastAPI(
        title="Stadshus",
        summary="Semantisk sökning och svar med källhänvisningar i Stockholms stads dokument.",
        lifespan=lifespan,
        docs_url=None,  # served by routes.pages from bundled files, with its own content security policy
        redoc_url=None,
        redirect_slashes=False,  # "/api/documents/x/" is not found rather than redirected
    )
    app.state.service = ServiceState(settings=settings, engine=engine)
    app.state.settings = settings
    app.state.review_store = None
    app.state.review_problem = None
    # The review routes check citations against the engine the rest of the API serves (503 without one).
    app.state.review_engine = partial(served_engine, app.state.service)
    install_error_handlers(app)
    # The last added runs first: security headers wrap everything, including the 413 of the body limit.
    uploads = {"/api/admin/documents/": settings.max_upload_bytes}
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, larger=uploads)
    app.add_middleware(SecurityHeaders)
    routers = (health, search, ask, coverage, exports, documents, versions, passages, districts, admin, pages, review_pages)
    for module in routers:
        app.include_router(module.router)
    app.include_router(reviews.router, responses={**ERROR_RESPONSES, **TOO_LARGE_RESPONSE})
    # Mounted before /static, which would otherwise take its paths.
    app.mount(pages.API_DOCS_URL, StaticFiles(directory=pages.API_DOCS_DIR), name="api-docs")
    app.mount("/static", StaticFiles(directory=pages.WEB_DIR), name="static")

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = with_settings_limits(FastAPI.openapi(app), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
