"""The API application: its clients made in the lifespan and kept on `app.state`, the
middleware, the error answers and the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backbeat import __version__
from backbeat.settings import Settings, get_settings
from offers.api.dependencies import EventPublisher, StoreReader
from offers.api.errors import OutageLog, add_error_handlers
from offers.api.keys import ApiKeys
from offers.api.lookups import Lookups
from offers.api.middleware import Gatekeeper, RequestMetrics
from offers.api.routers import offer_events, operations, users
from offers.keys import RedisKeys
from offers.store_config import async_client

DESCRIPTION = "The offer lookup API: what should this user see now?"


def create_app(settings: Settings | None = None, *, direct_lookups: bool = True) -> FastAPI:
    """The app. `direct_lookups=False` leaves every lookup to FastAPI's routes: the tests
    compare both paths' answers."""
    settings = settings or get_settings()
    keys = ApiKeys(settings.api.keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout_s = settings.api.redis_timeout_ms / 1000
        connections = settings.api.redis_connections
        client = async_client(settings.redis, timeout_s=timeout_s, max_connections=connections)
        store_keys = RedisKeys(settings.redis.key_prefix)
        app.state.reader = StoreReader(client, store_keys, connections, timeout_s)
        app.state.publisher = EventPublisher(settings.kafka)
        app.state.api_keys = keys
        try:
            yield
        finally:
            await client.aclose()
            app.state.publisher.close()

    app = FastAPI(
        title="Backbeat offer lookup API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Backbeat exports its own Prometheus metrics (middleware.RequestMetrics); FastAPI's
        # OpenTelemetry bridge looks its providers up on every request (~8% of a lookup).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    outages = OutageLog()
    if direct_lookups:
        app.add_middleware(Lookups, outages=outages)
    app.add_middleware(Gatekeeper, keys=keys, max_body_bytes=settings.api.max_body_bytes)
    app.add_middleware(RequestMetrics)
    add_error_handlers(app, outages)
    for router in (users.router, offer_events.router, operations.router):
        app.include_router(router)
    return app
