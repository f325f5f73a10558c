"""The review API: ``POST /api/reviews`` stores a judgment, ``GET /api/reviews`` lists them,
``GET /api/reviews/summary`` sums them up, ``GET /api/reviews/whoami`` checks a key.

Writing needs a reviewer key in ``X-Reviewer-Key`` (checked before the body is read); the key names the
reviewer. With no keys configured the write endpoint answers 403, with refused ones 503; a reviewer who
stored or changed ``review_writes_per_minute`` judgments in the last minute gets 429. The app provides,
on ``app.state``, the settings (``settings``), the store (``review_store``), and a callable giving the
engine it serves or raising the HTTP error that says why there is none (``review_engine``). State rather
than dependency overrides: with any override set, FastAPI analyses every dependency of every route again
on each request.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import SecretStr

from indexer.settings import Settings
from service.api.security import REVIEWER_KEY, KeyFirstRoute, key_dependency
from service.engine import Engine

from service.schemas.errors import ErrorResponse

from .checks import index_problems, index_stamp
from .schemas import ReviewerStatus, ReviewIn, ReviewPage, ReviewQuery, ReviewSaved, ReviewSummary
from .store import ReviewStore, WriteLimitReached

# Messages an evaluator reads on the page; the operator's reasons (which setting, which reviewer) go to the log.
REVIEWS_OFF = "Granskning är inte påslagen i den här tjänsten, så bedömningar kan inte sparas."
KEYS_INVALID = (
    "Det går inte att spara bedömningar just nu: granskningen är felaktigt inställd. Säg till den som driver "
    "tjänsten; din bedömning är inte sparad."
)
DATABASE_CLOSED = "Granskningsdatabasen är inte öppnad."
DATABASE_URL_INVALID = (
    "Granskningsdatabasen är inte öppnad: dess adress (STADSHUS_DB_URL) är ogiltig. Den som driver tjänsten "
    "ser orsaken i loggen."
)
# Only an API client can send no key: the page asks for one first.
NO_KEY = "Granskning kräver en granskarnyckel i huvudet X-Reviewer-Key."
WRONG_KEY = "Granskarnyckeln stämmer inte. Kontrollera att den är rätt inskriven, eller be om en ny."
TOO_MANY = "Du har sparat {limit} bedömningar den senaste minuten; vänta {seconds} s och försök igen."

router = APIRouter(prefix="/api/reviews", tags=["granskning"], route_class=KeyFirstRoute)
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


def reviewer_for_key(keys: dict[str, SecretStr], given: str) -> str | None:
    """The reviewer whose key is ``given``, or None. Every key is compared, each in constant time."""
    found = None
    for name, key in keys.items():
        if hmac.compare_digest(key.get_secret_value().encode(), given.encode()):
            found = name
    return found


def app_settings(request: Request) -> Settings:
    """The settings the app was created with (``app.state.settings``)."""
    return request.app.state.settings


def reviewer_of(request: Request) -> str:
    """The reviewer named by the request's key; 503 when the configured keys were refused, 403 when
    reviewing is off, 401 without a valid key."""
    settings = app_settings(request)
    if "reviewer_keys" in settings.refused:
        logger.warning("%s %s refused with 503: %s", request.method, request.url.path, settings.refused["reviewer_keys"])
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, KEYS_INVALID)
    if not settings.reviewer_keys:
        raise HTTPException(status.HTTP_403_FORBIDDEN, REVIEWS_OFF)
    key = request.headers.get(REVIEWER_KEY.model.name)
    if not key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, NO_KEY)
    reviewer = reviewer_for_key(settings.reviewer_keys, key)
    if reviewer is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG_KEY)
    return reviewer


Reviewer = Annotated[str, Depends(key_dependency(REVIEWER_KEY, reviewer_of))]
Store = Annotated[ReviewStore, Depends(get_review_store)]
LoadedEngine = Annotated[Engine, Depends(get_review_engine)]
SettingsDep = Annotated[Settings, Depends(app_settings)]


@router.post(
    "",
    response_model=ReviewSaved,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": ReviewSaved, "description": "The judgment was stored before; updated or unchanged."},
        401: {"model": ErrorResponse, "description": "No reviewer key, or an unknown one."},
        403: {"model": ErrorResponse, "description": "Reviewing is off: no reviewer keys are configured."},
        422: {
            "model": ErrorResponse,
            "description": "The body is invalid, or it is not an answer the service gave from the loaded index "
            "(its signature, districts or citations do not match).",
        },
        429: {"model": ErrorResponse, "description": "The reviewer's judgments of the last minute reached the limit."},
    },
)
def submit_review(
    review: ReviewIn, reviewer: Reviewer, store: Store, engine: LoadedEngine, settings: SettingsDep, response: Response
) -> ReviewSaved:
    """Store the key holder's judgment of an answer the service gave; sending it again changes nothing."""
    problems = index_problems(review, engine.index, engine.gazetteer, store.signing_secret)
    if problems:
        raise RequestValidationError(
            [{"type": "index_mismatch", "loc": ("body", *where), "msg": message} for where, message in problems]
        )
    try:
        saved = store.save(review, reviewer, index_stamp(engine), writes_per_minute=settings.review_writes_per_minute)
    except WriteLimitReached as exc:
        detail = TOO_MANY.format(limit=exc.limit, seconds=exc.retry_after)
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, detail, headers={"Retry-After": str(exc.retry_after)}) from None
    if saved.status != "created":
        response.status_code = status.HTTP_200_OK
    return saved


@router.get(
    "/whoami",
    response_model=ReviewerStatus,
    responses={401: {"description": "The key given is no reviewer's."}, 503: {"description": "The keys are malformed."}},
)
def whoami(
    settings: SettingsDep, key: Annotated[str | None, Header(alias="X-Reviewer-Key")] = None
) -> ReviewerStatus:
    """Whether judging is on and, with a key, whose it is: the page checks a key when it is entered, before
    any work is judged with it. A wrong key is 401; no key only asks whether judging is on."""
    if "reviewer_keys" in settings.refused:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, KEYS_INVALID)
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
