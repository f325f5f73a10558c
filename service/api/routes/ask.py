"""POST /api/ask: an answer whose every claim cites a verbatim quote, or an honest abstention.

The route only reads the request; ``service.ask.Answerer`` decides the answer's form (a fact, a list, a
comparison of report versions, ...).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from indexer.types import Answer
from service.engine import Engine
from service.reviews.checks import signed
from service.schemas.ask import AskQuery, AskResponse, ask_response
from service.search import Filters

from ..deps import EngineDep, reject_control_characters
from ..errors import FILTER_RESPONSES, TOO_LARGE_RESPONSE
from ..responses import ModelResponse

router = APIRouter(prefix="/api", tags=["fråga"])


def answer_request(engine: Engine, request: AskQuery) -> Answer:
    """The answer to ``request`` (its question, district, document and year)."""
    question = reject_control_characters(request.question)
    filters = Filters(doc_ids=(request.doc,) if request.doc else (), year_from=request.year, year_to=request.year)
    return engine.answerer.ask(question, request.district, filters)


@router.post("/ask", response_model=AskResponse, responses={**FILTER_RESPONSES, **TOO_LARGE_RESPONSE})
def ask(request: AskQuery, engine: EngineDep, http: Request) -> ModelResponse:
    """Answer a question in Swedish (or English) from the documents, optionally limited to a district,
    document or year; signed for the review API when the review database is open."""
    response = ask_response(answer_request(engine, request))
    store = http.app.state.review_store
    return ModelResponse(response if store is None else signed(response, store.signing_secret, engine.index.manifest.build_id))
