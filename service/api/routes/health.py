"""GET /healthz: whether search works end to end (the index is loaded and a real search of it succeeds),
which build is served, and whether judgments can be stored."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.schemas.health import HealthResponse

from ..deps import SettingsDep, StateDep

router = APIRouter(tags=["hälsa"])


@router.get(
    "/healthz",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "Sökindexet är inte laddat"}},
)
def health(request: Request, state: StateDep, settings: SettingsDep) -> HealthResponse | JSONResponse:
    """``ok`` with the loaded index's size, embedder and build when a search of it works; or ``error`` (503)
    with the reason and the configured embedder. ``reviews`` says why judgments cannot be stored, when they
    cannot."""
    engine = state.current()
    reviews = request.app.state.review_problem
    problem = state.search_problem(engine) if engine is not None else None
    if problem is not None:
        report = HealthResponse(
            status="error",
            index_loaded=True,
            documents=len(engine.index.documents),
            chunks=len(engine.index.chunks),
            embedder=engine.index.manifest.embedder,
            build=engine.index.manifest.build_id,
            message=problem,
            reviews=reviews,
        )
        return JSONResponse(report.model_dump(), status_code=503)
    if engine is None:
        report = HealthResponse(
            status="error",
            index_loaded=False,
            documents=0,
            chunks=0,
            embedder=settings.embedder,
            build=None,
            message=state.error,
            reviews=reviews,
        )
        return JSONResponse(report.model_dump(), status_code=503)
    return HealthResponse(
        status="ok",
        index_loaded=True,
        documents=len(engine.index.documents),
        chunks=len(engine.index.chunks),
        embedder=engine.index.manifest.embedder,
        message=state.error,
        build=engine.index.manifest.build_id,
        reviews=reviews,
    )
