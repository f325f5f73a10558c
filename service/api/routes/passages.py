"""GET /api/passages/{chunk_id}/similar: more like this, from other documents and districts.

Chunk ids hold "#" ("doc#12-ab34"): a client writes it as %23 in the address, or it starts the fragment.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from service.schemas.similar import SimilarResponse, similar_response
from service.similar import UnknownChunk, similar_passages

from ..deps import EngineDep, PassageCount
from ..errors import ERROR_RESPONSES, NOT_FOUND_RESPONSE

router = APIRouter(prefix="/api", tags=["textstycken"])


@router.get(
    "/passages/{chunk_id}/similar",
    response_model=SimilarResponse,
    responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
)
def similar(
    engine: EngineDep,
    chunk_id: Annotated[
        str,
        Path(max_length=300, description="The passage's chunk id, with '#' written %23.",
             examples=["rinkeby-kista-lup-2017-2022#12-3f9a0c81d2"]),
    ],
    k: PassageCount = 10,
    other_districts: Annotated[
        bool, Query(description="Leave out passages about the passage's own districts.")
    ] = True,
) -> SimilarResponse:
    """The ``k`` passages most like ``chunk_id`` in other documents (other versions of its report and its
    near-duplicates left out), by default only about other districts."""
    try:
        passages = similar_passages(engine, chunk_id, k, other_districts_only=other_districts)
    except UnknownChunk as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return similar_response(chunk_id, passages)
