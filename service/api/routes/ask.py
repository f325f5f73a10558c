"""POST /api/ask: an answer whose every claim cites a verbatim quote, or an honest abstention."""

from __future__ import annotations

from fastapi import APIRouter

from service.schemas import AskQuery, AskResponse, ask_response
from service.search import Filters

from ..deps import EngineDep, reject_control_characters
from ..errors import ERROR_RESPONSES, TOO_LARGE_RESPONSE

router = APIRouter(prefix="/api", tags=["fråga"])


@router.post("/ask", response_model=AskResponse, responses={**ERROR_RESPONSES, **TOO_LARGE_RESPONSE})
def ask(request: AskQuery, engine: EngineDep) -> AskResponse:
    """Answer a question in Swedish from the documents, optionally limited to a district, document or year."""
    question = reject_control_characters(request.question)
    filters = Filters(
        doc_ids=(request.doc,) if request.doc else (),
        year_from=request.year,
        year_to=request.year,
    )
    return ask_response(engine.answerer.ask(question, request.district, filters))
