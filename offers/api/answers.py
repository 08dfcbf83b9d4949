"""What the user lookups answer, written once for both paths that serve them: the FastAPI
routes (`routers/users.py`: validation, the schema) and the direct ASGI path
(`lookups.py`: the common, well-formed request without FastAPI's per-request machinery)."""

from __future__ import annotations

from offers.api.dependencies import StoreReader
from offers.api.schemas import OffersResponse, RecommendationsResponse, SessionResponse

DEFAULT_K = 10


async def offers(read: StoreReader, user_id: int) -> OffersResponse:
    found = await read(read.reads.offers(user_id))
    return OffersResponse.model_validate({"user_id": user_id, "offers": found})


async def recommendations(
    read: StoreReader, user_id: int, k: int = DEFAULT_K
) -> RecommendationsResponse:
    ranked = await read(read.reads.recommendations(user_id, k))
    return RecommendationsResponse.model_validate({"user_id": user_id, "recommendations": ranked})


async def session(read: StoreReader, user_id: int) -> SessionResponse | None:
    features = await read(read.reads.session(user_id))
    return None if features is None else SessionResponse(user_id=user_id, features=features)
