"""How the API answers what went wrong: Redis down or slow is a 503 (logged once a minute,
not once a request), a bad request a 422 that says which field and why without echoing it,
anything else a 500 without a stack trace."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import msgspec
import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import Send

log = logging.getLogger("backbeat.api")
REDIS_UNAVAILABLE = "the offer store (Redis) is unavailable"


async def json_error(send: Send, status: int, detail: str) -> None:
    """`{"detail": ...}` with `status`, sent from plain ASGI (before or beside FastAPI)."""
    body = msgspec.json.encode({"detail": detail})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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


def add_error_handlers(app: FastAPI, outages: OutageLog) -> None:
    @app.exception_handler(redis.RedisError)
    async def redis_unavailable(request: Request, exc: redis.RedisError) -> JSONResponse:
        outages.failed(f"{request.url.path}: {exc}")
        return JSONResponse({"detail": REDIS_UNAVAILABLE}, 503)

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
