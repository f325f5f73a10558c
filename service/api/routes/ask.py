"""POST /api/ask: an answer whose every claim cites a verbatim quote, or an honest abstention.

A question about what changed between versions of a report ("Vad är nytt i den senare versionen av
rapporten?") that points at one report, by the document filter, a document id or a district with one
multi-version report, is answered by comparing the versions (``service.versions.whats_new_answer``).
"""

from __future__ import annotations

import re
from collections import Counter

from fastapi import APIRouter, Request

from indexer.types import Answer
from service.engine import Engine
from service.reviews.checks import signed
from service.schemas.ask import AskQuery, AskResponse, ask_response
from service.search import Filters
from service.versions import NoEarlierVersion, report_families, whats_new_answer

from ..deps import EngineDep, reject_control_characters
from ..errors import FILTER_RESPONSES, TOO_LARGE_RESPONSE

router = APIRouter(prefix="/api", tags=["fråga"])

# Both must occur: a word of change and a word for a version of a report.
CHANGE_WORDS = re.compile(
    r"\b(?:nytt|ändrats?|ändringar(?:na)?|tillkommit|tillkommer|skillnad(?:en|er|erna)?|förändrats|förändringar(?:na)?)\b",
    re.IGNORECASE,
)
VERSION_WORDS = re.compile(r"\b(?:version\w*|tertial\w*|rapport\w*|t[1-3])\b", re.IGNORECASE)


def is_version_question(question: str) -> bool:
    """Whether ``question`` asks what changed between versions of a report."""
    return bool(CHANGE_WORDS.search(question) and VERSION_WORDS.search(question))


def versioned_document(engine: Engine, question: str, filters: Filters) -> str | None:
    """The document a version question is about: the document filter, a document id the question names,
    or the one report with several versions about the districts named (in the question or the filter)."""
    documents = engine.index.documents.infos
    if filters.doc_ids:
        return filters.doc_ids[0] if len(filters.doc_ids) == 1 else None
    named = [doc_id for doc_id in documents if doc_id.lower() in question.lower()]
    if len(named) == 1:
        return named[0]
    districts = set(filters.districts) | set(engine.gazetteer.find(question, ignore_case=True))
    if not districts:
        return None
    families = report_families(documents)
    sizes = Counter(families.values())
    reports = {
        families[doc_id]: doc_id
        for doc_id, document in sorted(documents.items())
        if sizes[families[doc_id]] > 1 and districts & set(document.districts)
    }
    return next(iter(reports.values())) if len(reports) == 1 else None


def answer_question(engine: Engine, request: AskQuery) -> Answer:
    """The answer to ``request``: a comparison of report versions when it asks for one, else the answerer's."""
    question = reject_control_characters(request.question)
    filters = Filters(doc_ids=(request.doc,) if request.doc else (), year_from=request.year, year_to=request.year)
    if is_version_question(question):
        # Checked first, so that an unknown district or document is the same 422 as for any question.
        district = (request.district,) if request.district else ()
        checked = engine.searcher.check_filters(Filters(district, filters.doc_ids))
        doc_id = versioned_document(engine, question, checked)
        if doc_id is not None:
            question = engine.searcher.clean_query(question)
            try:
                return whats_new_answer(engine, doc_id, question)
            except NoEarlierVersion as exc:
                return Answer(question=question, text=str(exc), supported=False)
    return engine.answerer.ask(question, request.district, filters)


@router.post("/ask", response_model=AskResponse, responses={**FILTER_RESPONSES, **TOO_LARGE_RESPONSE})
def ask(request: AskQuery, engine: EngineDep, http: Request) -> AskResponse:
    """Answer a question in Swedish from the documents, optionally limited to a district, document or year;
    signed for the review API when the review database is open."""
    response = ask_response(answer_question(engine, request))
    store = http.app.state.review_store
    return response if store is None else signed(response, store.signing_secret, engine.index.manifest.build_id)
