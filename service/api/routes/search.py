"""GET /api/search: a page of the passages of a search that pass the relevance floor, with the words that
match highlighted and counts per district and year, exactly as ``stadshus search --json`` prints them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.results import search_page
from service.schemas.search import SearchResponse, search_response
from service.search import SearchMode

from ..deps import EngineDep, FiltersDep, PassageCount, QueryDep
from ..errors import FILTER_RESPONSES
from ..responses import ModelResponse

router = APIRouter(prefix="/api", tags=["sök"])


@router.get("/search", response_model=SearchResponse, responses=FILTER_RESPONSES)
def search(
    engine: EngineDep,
    q: QueryDep,
    filters: FiltersDep,
    k: PassageCount = 10,
    offset: Annotated[int, Query(description="Hits to skip (paging): 0 for the first page.")] = 0,
    mode: Annotated[SearchMode, Query(description="hybrid, dense or bm25.")] = SearchMode.hybrid,
) -> ModelResponse:
    """Hits ``offset`` + 1 .. ``offset`` + ``k`` of ``q``, best first, of those that pass the relevance floor."""
    page = search_page(engine, q, offset, k, mode, filters)
    return ModelResponse(search_response(mode.value, page, engine.index.documents.infos))
