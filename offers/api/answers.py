"""What the user lookups answer, written once for both paths that serve them: the FastAPI
routes (`routers/users.py`: validation, the schema) and the direct ASGI path
(`lookups.py`: the common, well-formed request without FastAPI's per-request machinery)."""

from __future__ import annotations

from offers.api.dependencies import StoreReader
from offers.api.schemas import (
    Offer,
    OffersResponse,
    Recommendation,
    RecommendationsResponse,
    SessionResponse,
)

DEFAULT_K = 10


async def offers(read: StoreReader, user_id: int) -> OffersResponse:
    found = await read(read.reads.offers(user_id))
    return OffersResponse(user_id=user_id, offers=[Offer.model_validate(o) for o in found])


async def recommendations(
    read: StoreReader, user_id: int, k: int = DEFAULT_K
) -> RecommendationsResponse:
    ranked = await read(read.reads.recommendations(user_id, k))
    found = [Recommendation.model_validate(r) for r in ranked]
    return RecommendationsResponse(user_id=user_id, recommendations=found)


async def session(read: StoreReader, user_id: int) -> SessionResponse | None:
    features = await read(read.reads.session(user_id))
    return None if features is None else SessionResponse(user_id=user_id, features=features)
