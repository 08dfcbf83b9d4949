"""What every request passes before and after a route: plain ASGI, because Starlette's
`@app.middleware` wrapper costs more per request than a whole offers lookup."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from offers.api.errors import json_error
from offers.api.keys import ApiKeys

REQUESTS = Counter("backbeat_api_requests_total", "Requests answered", ["route", "status"])
LATENCY = Histogram(
    "backbeat_api_request_seconds",
    "Time to answer a request",
    ["route"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)


# A metric's child per label set, looked up once: route templates and statuses are few.
@cache
def _latency(route: str) -> Any:
    return LATENCY.labels(route)


@cache
def _requests(route: str, status: int) -> Any:
    return REQUESTS.labels(route, str(status))


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
        if b"transfer-encoding" not in headers:
            # The body is its declared length (checked above), or there is none (RFC 9112 6.3).
            await self.app(scope, receive, send)
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
        await json_error(send, status, detail)


class RequestMetrics:
    """Counts and times every request by route template and status."""

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
            _latency(route).observe(time.perf_counter() - began)
            _requests(route, status).inc()
