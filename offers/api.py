"""The offer lookup API: what should this user see now?

    backbeat api                 # uvicorn, settings from BACKBEAT_API_* and BACKBEAT_REDIS_*
    GET  /v1/users/{user_id}/offers           active offers, best first, with reason and expiry
    GET  /v1/users/{user_id}/recommendations  ?k=1..100
    GET  /v1/users/{user_id}/session          live session features
    POST /v1/offers/{offer_id}/events         impression | click | accept | dismiss
    GET  /healthz                             Redis answers?   GET /metrics  Prometheus

Every /v1 call needs an `X-API-Key` (401 otherwise), checked before any body is read; a
body over `BACKBEAT_API_MAX_BODY_BYTES` is refused with 413 before it is read whole. A 422
says which field is wrong and why, without echoing what was sent. `/healthz` and `/metrics`
(probes and Prometheus) and the schema (`/docs`, `/openapi.json`) need no key: they hold no
user data; keep the port on a private network. Redis is given
`BACKBEAT_API_REDIS_TIMEOUT_MS` per call; past it, or when it is down, the answer is 503 —
never a hang. Errors are JSON `{"detail": ...}` without stack traces. Offer events go to the
`offer_events` topic (confirmed by Kafka before the 202), from where the loader lands them in
raw for the offer performance mart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import msgspec
import redis
import redis.asyncio
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backbeat import __version__
from backbeat.emit.sinks import KafkaDeliveryError, KafkaSink
from backbeat.events.schemas import OfferEventRecord
from backbeat.kafka.topics import OFFER_EVENTS_TOPIC
from backbeat.settings import Settings, get_settings
from offers.api_keys import ApiKeys
from offers.keys import RedisKeys
from offers.store import AsyncOfferReader

log = logging.getLogger("backbeat.api")
MAX_USER_ID = 2**53  # JSON-safe integers

REQUESTS = Counter("backbeat_api_requests_total", "Requests answered", ["route", "status"])
LATENCY = Histogram(
    "backbeat_api_request_seconds",
    "Time to answer a request",
    ["route"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)

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


def _json_error(status: int, detail: str) -> tuple[Message, Message]:
    body = msgspec.json.encode({"detail": detail})
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class Gatekeeper:
    """What every request passes before the app reads it: the API key on /v1 routes, and a
    bound on the body (by its Content-Length, and by counting for chunked bodies). FastAPI
    would read and parse a whole body before its dependencies check the key."""

    def __init__(self, app: ASGIApp, keys: ApiKeys, max_body_bytes: int) -> None:
        self.app = app
        self.keys = keys
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["path"].startswith("/v1/"):
            presented = headers.get(b"x-api-key")
            if not self.keys.allows(presented.decode("latin-1") if presented else None):
                await self._refuse(send, 401, "a valid X-API-Key header is required")
                return
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._refuse(send, 413, f"the body is over {self.max_body_bytes:,} bytes")
            return
        received = 0
        refused = False

        async def bounded() -> Message:
            # Past the limit: answer 413 now, tell the app the client left, drop its answer.
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes and not refused:
                    refused = True
                    await self._refuse(send, 413, f"the body is over {self.max_body_bytes:,} bytes")
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, bounded, unless_refused)

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str) -> None:
        start, body = _json_error(status, detail)
        await send(start)
        await send(body)


class OutageLog:
    """One warning when Redis fails, then one a minute with the count: an outage under load
    must not write a line per request."""

    def __init__(self, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s = every_s
        self._clock = clock
        self._last: float | None = None
        self._since = 0

    def failed(self, what: str) -> None:
        now = self._clock()
        self._since += 1
        if self._last is None or now - self._last >= self.every_s:
            log.warning(
                "Redis unavailable (%d failed calls since the last warning): %s", self._since, what
            )
            self._last, self._since = now, 0


#: What every /v1 route may answer besides its success, for the OpenAPI schema.
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid X-API-Key header"},
    422: {"description": "A path or query value is invalid; `detail` says which and why"},
    503: {"description": "Redis did not answer in time; try again"},
}


class RequestMetrics:
    """Counts and times every request by route template and status. Plain ASGI: Starlette's
    `@app.middleware` wrapper costs more per request than a whole offers lookup."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            LATENCY.labels(route).observe(time.perf_counter() - began)
            REQUESTS.labels(route, str(status)).inc()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    keys = ApiKeys(settings.api.keys)
    timeout_s = settings.api.redis_timeout_ms / 1000
    password = settings.redis.password.get_secret_value() if settings.redis.password else None
    client = redis.asyncio.Redis.from_url(
        str(settings.redis.url),
        password=password,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry_on_timeout=False,
    )
    store = AsyncOfferReader(client, RedisKeys(settings.redis.key_prefix))
    outages = OutageLog()
    producer: list[KafkaSink] = []  # made on first use: lookups never need Kafka

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()
        if producer:  # let in-flight events go, briefly; the producer is dropped either way
            try:
                producer[0].close(timeout_s=5)
            except KafkaDeliveryError as exc:
                log.warning("offer events not delivered at shutdown: %s", exc)
            producer.clear()

    app = FastAPI(
        title="Backbeat offer lookup API",
        version=__version__,
        description=(__doc__ or "").split("\n\n")[0],
        lifespan=lifespan,
    )

    async def api_key(
        presented: Annotated[str | None, Depends(APIKeyHeader(name="X-API-Key", auto_error=False))],
    ) -> None:
        if not keys.allows(presented):
            raise HTTPException(401, "a valid X-API-Key header is required")

    secured = [Depends(api_key)]

    app.add_middleware(Gatekeeper, keys=keys, max_body_bytes=settings.api.max_body_bytes)
    app.add_middleware(RequestMetrics)

    @app.exception_handler(redis.RedisError)
    async def redis_unavailable(request: Request, exc: redis.RedisError) -> JSONResponse:
        outages.failed(f"{request.url.path}: {exc}")
        return JSONResponse({"detail": "the offer store (Redis) is unavailable"}, 503)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own answer echoes each bad value back: a large body would come back whole.
        detail = [
            {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
            for error in exc.errors()
        ]
        return JSONResponse({"detail": detail}, 422)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "internal error"}, 500)

    @app.get("/v1/users/{user_id}/offers", dependencies=secured, responses=_ERRORS)
    async def user_offers(user_id: UserId) -> OffersResponse:
        found = await store.offers(user_id)
        return OffersResponse(user_id=user_id, offers=[Offer.model_validate(o) for o in found])

    @app.get("/v1/users/{user_id}/recommendations", dependencies=secured, responses=_ERRORS)
    async def user_recommendations(
        user_id: UserId,
        k: Annotated[int, Query(ge=1, le=100, description="How many")] = 10,
    ) -> RecommendationsResponse:
        ranked = await store.recommendations(user_id, k)
        found = [Recommendation.model_validate(r) for r in ranked]
        return RecommendationsResponse(user_id=user_id, recommendations=found)

    @app.get(
        "/v1/users/{user_id}/session",
        dependencies=secured,
        responses={**_ERRORS, 404: {"description": "No live session for this user"}},
    )
    async def user_session(user_id: UserId) -> SessionResponse:
        features = await store.session(user_id)
        if features is None:
            raise HTTPException(404, f"user {user_id} has no live session")
        return SessionResponse(user_id=user_id, features=features)

    @app.post(
        "/v1/offers/{offer_id}/events",
        dependencies=secured,
        status_code=202,
        responses={
            **_ERRORS,
            404: {"description": "No such offer for this user"},
            413: {"description": "The body is over BACKBEAT_API_MAX_BODY_BYTES"},
            503: {"description": "Kafka or Redis unavailable; send again"},
        },
    )
    async def offer_event(
        offer_id: Annotated[str, Path(pattern=r"^[0-9a-f]{24}$", description="From /offers")],
        event: OfferEventIn,
    ) -> OfferEventAccepted:
        offer = await store.offer(event.user_id, offer_id)
        if offer is None:
            raise HTTPException(404, f"user {event.user_id} has no offer {offer_id}")
        at_ms = int(time.time() * 1000)
        record = OfferEventRecord(
            ts=at_ms,
            offer_id=offer_id,
            user_id=event.user_id,
            offer_type=offer["offer_type"],
            type=event.type,
        )
        if not producer:
            producer.append(KafkaSink(settings.kafka, linger_ms=0))
        sink = producer[0]

        def deliver() -> None:  # blocking: in a thread, so lookups keep being served
            sink.write(
                OFFER_EVENTS_TOPIC, str(event.user_id).encode(), msgspec.json.encode(record) + b"\n"
            )
            sink.flush(timeout_s=5)

        try:
            await asyncio.to_thread(deliver)
        except KafkaDeliveryError as exc:
            producer.clear()
            log.warning("offer event not delivered: %s", exc)
            raise HTTPException(
                503, "the event could not be recorded (Kafka); send again"
            ) from None
        return OfferEventAccepted(
            offer_id=offer_id, user_id=event.user_id, type=event.type, at_ms=at_ms
        )

    @app.get("/healthz", responses={503: {"description": "Redis does not answer"}})
    async def healthz() -> Health:
        await client.ping()
        return Health(status="ok", redis="ok", version=__version__)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
