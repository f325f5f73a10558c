"""What routes depend on: the loaded engine, the settings and the search filters, as typed aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from indexer.settings import Settings
from service.engine import Engine
from service.search import CONTROL, QUERY_PATTERN, Filters, QueryError

from .lifecycle import ServiceState


async def get_state(request: Request) -> ServiceState:
    """The application's state, set up by ``create_app`` and its lifespan."""
    return request.app.state.service


StateDep = Annotated[ServiceState, Depends(get_state)]


def served_engine(state: ServiceState) -> Engine:
    """The engine ``state`` serves; 503 with the reason when the index could not be loaded."""
    engine = state.current()
    if engine is None:
        raise HTTPException(status_code=503, detail=state.error or "Sökindexet är inte laddat.")
    return engine


async def get_engine(state: StateDep) -> Engine:
    """The loaded engine; 503 with the reason when the index could not be loaded."""
    return served_engine(state)


EngineDep = Annotated[Engine, Depends(get_engine)]


async def get_settings(state: StateDep) -> Settings:
    """The settings this application was created with (tests pass their own to ``create_app``)."""
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def reject_control_characters(text: str) -> str:
    """``text`` unchanged, or a QueryError if it holds control characters (tabs and newlines are fine)."""
    if CONTROL.search(text):
        raise QueryError("Frågan innehåller otillåtna styrtecken.")
    return text


async def search_query(
    q: Annotated[
        str,
        Query(
            description="What to search for, in Swedish; at most STADSHUS_MAX_QUERY_CHARS characters (the schema "
            "gives the configured number).",
            examples=["medborgarvärdar"],
            # Enforced here and by the searcher, with their own Swedish messages; declared for the schema.
            json_schema_extra={"pattern": QUERY_PATTERN},
        ),
    ],
) -> str:
    """The ``q`` parameter, refused if it holds control characters (emptiness and length are the searcher's)."""
    return reject_control_characters(q)


QueryDep = Annotated[str, Depends(search_query)]
#: The ``k`` of a search: 1 to ``max_k``, checked by the searcher with its Swedish message; declared for the
#: schema, whose maximum the app takes from its settings (service.api.contract).
PassageCount = Annotated[
    int,
    Query(
        description="Number of passages, 1 to STADSHUS_MAX_K (the schema gives the configured maximum).",
        json_schema_extra={"minimum": 1},
    ),
]


async def search_filters(
    district: Annotated[
        list[Annotated[str, Query(min_length=1, max_length=100)]] | None,
        Query(description="Only passages about this district (repeatable); an unknown one is 404.", examples=[["Skärholmen"]]),
    ] = None,
    doc: Annotated[
        list[Annotated[str, Query(min_length=1, max_length=200)]] | None,
        Query(description="Only passages of this document id (repeatable); an unknown one is 404."),
    ] = None,
    year: Annotated[int | None, Query(ge=1000, le=9999, description="Only documents covering this year.")] = None,
    year_from: Annotated[
        int | None, Query(ge=1000, le=9999, description="Only documents covering this year or later; not after year_to.")
    ] = None,
    year_to: Annotated[int | None, Query(ge=1000, le=9999, description="Only documents covering this year or earlier.")] = None,
) -> Filters:
    """The filters of a search request; ``year=Y`` means ``year_from=year_to=Y``."""
    if year is not None:
        if year_from is not None or year_to is not None:
            raise QueryError("Ange antingen year eller year_from/year_to, inte båda.")
        year_from = year_to = year
    if year_from is not None and year_to is not None and year_from > year_to:
        raise QueryError("year_from får inte vara senare än year_to.")
    return Filters(tuple(district or ()), tuple(doc or ()), year_from, year_to)


FiltersDep = Annotated[Filters, Depends(search_filters)]
