"""GET /healthz: whether search works end to end (the index is loaded and a real search of it succeeds),
which build is served, and whether judgments can be stored."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from indexer.buildlog import last_outcome

from service.schemas.health import HealthResponse

from ..deps import SettingsDep, StateDep

router = APIRouter(tags=["hälsa"])
EMPTY = "Sökindexet är tomt: det finns inga dokument att söka i. Bygg om indexet med `stadshus index`."


@router.get(
    "/healthz",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "Sökindexet är inte laddat, eller är tomt"}},
)
def health(request: Request, state: StateDep, settings: SettingsDep) -> HealthResponse | JSONResponse:
    """``ok`` with the loaded index's size, embedder and build when a search of it works; or ``error`` (503)
    with the reason and the configured embedder, also when the loaded index is empty. ``reviews`` says why
    judgments cannot be stored, when they cannot; ``last_build_error`` why the last build failed, when it did."""
    engine = state.current()
    reviews = request.app.state.review_problem
    outcome = last_outcome(Path(settings.index_dir))
    failed = outcome.error if outcome is not None and not outcome.ok else None
    problem = state.search_problem(engine) if engine is not None and engine.index.chunks else None
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
            last_build_error=failed,
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
            last_build_error=failed,
        )
        return JSONResponse(report.model_dump(), status_code=503)
    empty = not engine.index.chunks
    report = HealthResponse(
        status="error" if empty else "ok",
        index_loaded=True,
        documents=len(engine.index.documents),
        chunks=len(engine.index.chunks),
        embedder=engine.index.manifest.embedder,
        message=EMPTY if empty else state.error,
        build=engine.index.manifest.build_id,
        reviews=reviews,
        last_build_error=failed,
    )
    return JSONResponse(report.model_dump(), status_code=503) if empty else report
