"""The user lookups' common request, answered straight from ASGI.

`GET /v1/users/{id}/offers`, `/session` and `/recommendations` with a plain id and no query
are most of the API's traffic. FastAPI would route each through its router, build a Request,
solve the route's dependencies and validate its parameters: over half the CPU of a lookup
(py-spy, bench/peers/feast_api.py). Here such a request is matched by one regex and answered
with the same answer functions and response models as the routes (`answers.py`); anything
else — another route, an id out of range, a query string, a session not found — goes on to
FastAPI, which validates, documents and answers it as before. The API key was checked by
`middleware.Gatekeeper` already.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from offers.api.answers import offers, recommendations, session
from offers.api.dependencies import StoreReader
from offers.api.errors import REDIS_UNAVAILABLE, OutageLog, json_error
from offers.api.responses import ModelJSON
from offers.api.schemas import MAX_USER_ID

Answer = Callable[[StoreReader, int], Awaitable[BaseModel | None]]
_ANSWERS: dict[str, Answer] = {
    "offers": offers,
    "session": session,
    "recommendations": recommendations,
}
_LOOKUP = re.compile(rf"/v1/users/(0|[1-9][0-9]{{0,15}})/({'|'.join(_ANSWERS)})")


@dataclass(frozen=True)
class _Route:
    """What `middleware.RequestMetrics` reads of `scope["route"]`: the route's template."""

    path: str


_ROUTES = {name: _Route(f"/v1/users/{{user_id}}/{name}") for name in _ANSWERS}


class Lookups:
    def __init__(self, app: ASGIApp, outages: OutageLog) -> None:
        self.app = app
        self.outages = outages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            await self.app(scope, receive, send)
            return
        match = _LOOKUP.fullmatch(scope["path"])
        if match is None or int(match[1]) > MAX_USER_ID:
            await self.app(scope, receive, send)
            return
        user_id, name = int(match[1]), match[2]
        reader: StoreReader = scope["app"].state.reader
        try:
            found = await _ANSWERS[name](reader, user_id)
        except redis.RedisError as exc:
            self.outages.failed(f"{scope['path']}: {exc}")
            scope["route"] = _ROUTES[name]
            await json_error(send, 503, REDIS_UNAVAILABLE)
            return
        if found is None:  # FastAPI says "not found" its usual way
            await self.app(scope, receive, send)
            return
        scope["route"] = _ROUTES[name]
        await ModelJSON(found)(scope, receive, send)
