"""The API's request and response bodies, and the errors every /v1 route may answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, Field

MAX_USER_ID = 2**53  # JSON-safe integers

UserId = Annotated[int, Path(ge=0, le=MAX_USER_ID, description="eventsim userId")]


class Offer(BaseModel):
    offer_id: str
    offer_type: str = Field(description="premium_trial, retention_discount, ...")
    rule_id: str
    reason: str = Field(description="Why the user gets it, in words")
    payload: dict[str, Any]
    priority: int
    decided_at_ms: int
    expires_at_ms: int


class OffersResponse(BaseModel):
    user_id: int
    offers: list[Offer] = Field(description="Active offers, best first")


class Recommendation(BaseModel):
    song_id: str
    artist: str
    song: str
    score: float
    source: Literal["neighbours", "artist", "popular"] = Field(
        description="What put the song there: songs played near the user's recent plays, "
        "the artist they just played, or popularity"
    )


class RecommendationsResponse(BaseModel):
    user_id: int
    recommendations: list[Recommendation]


class SessionResponse(BaseModel):
    user_id: int
    features: dict[str, Any] = Field(description="Live features (offers/features.py)")


class OfferEventIn(BaseModel):
    model_config = {"extra": "forbid"}

    type: Literal["impression", "click", "accept", "dismiss"]
    user_id: int = Field(ge=0, le=MAX_USER_ID, description="The user the offer was made to")


class OfferEventAccepted(BaseModel):
    offer_id: str
    user_id: int
    type: str
    at_ms: int


class Health(BaseModel):
    status: Literal["ok"]
    redis: Literal["ok"]
    version: str


#: What every /v1 route may answer besides its success, for the OpenAPI schema.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid X-API-Key header"},
    422: {"description": "A path or query value is invalid; `detail` says which and why"},
    503: {"description": "Redis did not answer in time; try again"},
}
