"""What a user should see now: active offers, recommendations, the live session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from offers.api.dependencies import SECURED, Reader
from offers.api.responses import ModelJSON
from offers.api.schemas import (
    ERRORS,
    Offer,
    OffersResponse,
    Recommendation,
    RecommendationsResponse,
    SessionResponse,
    UserId,
)

router = APIRouter(prefix="/v1/users/{user_id}", dependencies=SECURED, responses=ERRORS)


@router.get("/offers", response_model=OffersResponse)
async def user_offers(user_id: UserId, read: Reader) -> ModelJSON:
    found = await read(read.reads.offers(user_id))
    return ModelJSON(
        OffersResponse(user_id=user_id, offers=[Offer.model_validate(o) for o in found])
    )


@router.get("/recommendations", response_model=RecommendationsResponse)
async def user_recommendations(
    user_id: UserId,
    read: Reader,
    k: Annotated[int, Query(ge=1, le=100, description="How many")] = 10,
) -> ModelJSON:
    ranked = await read(read.reads.recommendations(user_id, k))
    found = [Recommendation.model_validate(r) for r in ranked]
    return ModelJSON(RecommendationsResponse(user_id=user_id, recommendations=found))


@router.get(
    "/session",
    response_model=SessionResponse,
    responses={404: {"description": "No live session for this user"}},
)
async def user_session(user_id: UserId, read: Reader) -> ModelJSON:
    features = await read(read.reads.session(user_id))
    if features is None:
        raise HTTPException(404, f"user {user_id} has no live session")
    return ModelJSON(SessionResponse(user_id=user_id, features=features))
