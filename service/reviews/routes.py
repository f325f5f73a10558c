"""The review API: ``POST /api/reviews`` stores a judgment, ``GET /api/reviews`` lists them,
``GET /api/reviews/summary`` sums them up, ``GET /api/reviews/whoami`` checks a key.

Writing needs a reviewer key in ``X-Reviewer-Key``; the key names the reviewer. With no keys
configured the write endpoint answers 403, with malformed ones 503 (``settings_invalid``, which the app
registers as the handler of ``ReviewSettingsInvalid``). The app provides, on ``app.state``, the store
(``review_store``), a callable giving the engine it serves or raising the HTTP error that says why there is
none (``review_engine``) and, optionally, the review
settings (``review_settings``; else the environment's). State rather than dependency overrides: with any
override set, FastAPI analyses every dependency of every route again on each request.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from service.engine import Engine

from .checks import index_problems, index_stamp
from .schemas import ReviewerStatus, ReviewIn, ReviewPage, ReviewQuery, ReviewSaved, ReviewSummary
from .store import ReviewSettings, ReviewSettingsInvalid, ReviewStore, get_review_settings

# Messages an evaluator reads on the page; the operator's reasons (which setting, which reviewer) go to the log.
REVIEWS_OFF = "Granskning är inte påslagen i den här tjänsten, så bedömningar kan inte sparas."
KEYS_INVALID = (
    "Det går inte att spara bedömningar just nu: granskningen är felaktigt inställd. Säg till den som driver "
    "tjänsten; din bedömning är inte sparad."
)
DATABASE_CLOSED = "Granskningsdatabasen är inte öppnad."
# Only an API client can send no key: the page asks for one first.
NO_KEY = "Granskning kräver en granskarnyckel i huvudet X-Reviewer-Key."
WRONG_KEY = "Granskarnyckeln stämmer inte. Kontrollera att den är rätt inskriven, eller be om en ny."

router = APIRouter(prefix="/api/reviews", tags=["granskning"])
logger = logging.getLogger("stadshus.api")


def get_review_store(request: Request) -> ReviewStore:
    """The app's review store (``app.state.review_store``, opened at start-up)."""
    store = getattr(request.app.state, "review_store", None)
    if store is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, DATABASE_CLOSED)
    return store


def get_review_engine(request: Request) -> Engine:
    """The engine the app serves (``app.state.review_engine()``): its index checks citations and stamps judgments."""
    provider = getattr(request.app.state, "review_engine", None)
    engine = provider() if provider is not None else None
    if engine is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Indexet är inte laddat.")
    return engine


def reviewer_for_key(keys: dict[str, str], given: str) -> str | None:
    """The reviewer whose key is ``given``, or None. Every key is compared, each in constant time."""
    found = None
    for name, key in keys.items():
        if hmac.compare_digest(key.encode(), given.encode()):
            found = name
    return found


def current_review_settings(request: Request) -> ReviewSettings:
    """The app's review settings (``app.state.review_settings``), or the environment's."""
    return getattr(request.app.state, "review_settings", None) or get_review_settings()


def require_reviewer(
    settings: Annotated[ReviewSettings, Depends(current_review_settings)],
    key: Annotated[str | None, Header(alias="X-Reviewer-Key")] = None,
) -> str:
    """The reviewer named by the request's key; 403 when reviewing is off, 401 without a valid key
    (malformed keys raise ``ReviewSettingsInvalid`` from ``current_review_settings``).

    A dependency, so that it runs before the body is read: a request without a valid key is
    refused whatever it carries.
    """
    if not settings.reviewer_keys:
        raise HTTPException(status.HTTP_403_FORBIDDEN, REVIEWS_OFF)
    if not key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, NO_KEY)
    reviewer = reviewer_for_key(settings.reviewer_keys, key)
    if reviewer is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG_KEY)
    return reviewer


async def settings_invalid(request: Request, exc: ReviewSettingsInvalid) -> JSONResponse:
    """503 for a request that needs the reviewer keys while they are malformed; the reason goes to the log."""
    logger.warning("%s %s refused with 503: %s", request.method, request.url.path, exc.operator)
    return JSONResponse({"detail": KEYS_INVALID}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


Reviewer = Annotated[str, Depends(require_reviewer)]
Store = Annotated[ReviewStore, Depends(get_review_store)]
LoadedEngine = Annotated[Engine, Depends(get_review_engine)]


@router.post(
    "",
    response_model=ReviewSaved,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": ReviewSaved, "description": "The judgment was stored before; updated or unchanged."},
        401: {"description": "No reviewer key, or an unknown one."},
        403: {"description": "Reviewing is off: no reviewer keys are configured."},
        422: {"description": "The body is invalid, or its citations do not match the loaded index."},
    },
)
def submit_review(
    review: ReviewIn, reviewer: Reviewer, store: Store, engine: LoadedEngine, response: Response
) -> ReviewSaved:
    """Store the key holder's judgment of an answer; sending it again changes nothing."""
    problems = index_problems(review, engine.index)
    if problems:
        raise RequestValidationError(
            [{"type": "index_mismatch", "loc": ("body", *where), "msg": message} for where, message in problems]
        )
    saved = store.save(review, reviewer, index_stamp(engine))
    if saved.status != "created":
        response.status_code = status.HTTP_200_OK
    return saved


@router.get(
    "/whoami",
    response_model=ReviewerStatus,
    responses={401: {"description": "The key given is no reviewer's."}, 503: {"description": "The keys are malformed."}},
)
def whoami(
    settings: Annotated[ReviewSettings, Depends(current_review_settings)],
    key: Annotated[str | None, Header(alias="X-Reviewer-Key")] = None,
) -> ReviewerStatus:
    """Whether judging is on and, with a key, whose it is: the page checks a key when it is entered, before
    any work is judged with it. A wrong key is 401; no key only asks whether judging is on."""
    if not settings.reviewer_keys:
        return ReviewerStatus(enabled=False, reviewer=None)
    if not key:
        return ReviewerStatus(enabled=True, reviewer=None)
    reviewer = reviewer_for_key(settings.reviewer_keys, key)
    if reviewer is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG_KEY)
    return ReviewerStatus(enabled=True, reviewer=reviewer)


@router.get("", response_model=ReviewPage)
def list_reviews(store: Store, query: Annotated[ReviewQuery, Query()]) -> ReviewPage:
    """Judgments, newest first, narrowed by reviewer, verdict, question type, build and time."""
    return store.list_reviews(query, limit=query.limit, offset=query.offset)


@router.get("/summary", response_model=ReviewSummary)
def review_summary(store: Store) -> ReviewSummary:
    """Share correct overall, per question type and per index build, and Cohen's kappa per reviewer pair."""
    return store.summary()
