"""What a user should see now: active offers, recommendations, the live session.

The well-formed GETs of these routes are usually answered before they reach here, by
`offers/api/lookups.py`, with the same answers (`offers/api/answers.py`); these routes
document them and answer the rest (bad ids and `k`, a `k` given, a session not found).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from offers.api.answers import DEFAULT_K, offers, recommendations, session
from offers.api.dependencies import SECURED, Reader
from offers.api.responses import ModelJSON
from offers.api.schemas import (
    ERRORS,
    OffersResponse,
    RecommendationsResponse,
    SessionResponse,
    UserId,
)

router = APIRouter(prefix="/v1/users/{user_id}", dependencies=SECURED, responses=ERRORS)


@router.get("/offers", response_model=OffersResponse)
async def user_offers(user_id: UserId, read: Reader) -> ModelJSON:
    return ModelJSON(await offers(read, user_id))


@router.get("/recommendations", response_model=RecommendationsResponse)
async def user_recommendations(
    user_id: UserId,
    read: Reader,
    k: Annotated[int, Query(ge=1, le=100, description="How many")] = DEFAULT_K,
) -> ModelJSON:
    return ModelJSON(await recommendations(read, user_id, k))


@router.get(
    "/session",
    response_model=SessionResponse,
    responses={404: {"description": "No live session for this user"}},
)
async def user_session(user_id: UserId, read: Reader) -> ModelJSON:
    found = await session(read, user_id)
    if found is None:
        raise HTTPException(404, f"user {user_id} has no live session")
    return ModelJSON(found)
