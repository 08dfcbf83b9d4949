"""What the routes depend on, made once per app in its lifespan and kept on `app.state`:
the store reader (Redis), the offer-event publisher (Kafka) and the API keys."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, TypeVar

import redis
from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader

from backbeat.events.codec import Record
from backbeat.kafka.producer import KafkaDeliveryError, KafkaProducer
from backbeat.settings.kafka import KafkaSettings
from offers.api.keys import ApiKeys
from offers.keys import RedisKeys
from offers.store_reads import Read, StoreReads, read_async
from offers.store_topology import AsyncClient

T = TypeVar("T")
log = logging.getLogger("backbeat.api")


class StoreReader:
    """The offer store's reads (offers/store_reads.py, the same as `backbeat offers` runs)
    on the API's asyncio client, so requests are served without a thread hop each.

    At most `max_in_flight` reads run at once (the client's connections), and each request's
    read, waiting for a turn included, ends within `timeout_s`: a burst queues, and only what
    the timeout passes is shed (a `redis.RedisError`, answered 503). On one Redis the client's
    blocking pool would queue by itself, but redis-py's Redis Cluster client has no blocking
    pool (past its connections a request failed at once) and retries a timed-out command
    (a read outlived the timeout three times over): bounding the read here holds on both.
    """

    def __init__(
        self, client: AsyncClient, keys: RedisKeys, max_in_flight: int, timeout_s: float
    ) -> None:
        self.client = client
        self.reads = StoreReads(keys)
        self._turns = asyncio.Semaphore(max_in_flight)
        self._timeout_s = timeout_s

    async def __call__(self, read: Read[T]) -> T:
        try:
            async with asyncio.timeout(self._timeout_s), self._turns:
                return await read_async(self.client, read)
        except TimeoutError:
            raise redis.TimeoutError(
                f"the offer store did not answer within {self._timeout_s * 1000:.0f} ms"
            ) from None


class EventPublisher:
    """Records to Kafka, each confirmed before the request answers. The producer is made on
    first use (lookups never need Kafka) and dropped after a failure, so the next request
    starts afresh."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._producer: KafkaProducer | None = None

    async def publish(self, record: Record, key: bytes) -> None:
        """Raises KafkaDeliveryError if Kafka did not confirm within 5 s."""
        if self._producer is None:
            self._producer = KafkaProducer(self._settings, linger_ms=0)
        producer = self._producer

        def deliver() -> None:  # blocking: in a thread, so lookups keep being served
            producer.publish(record, key)
            producer.flush(timeout_s=5)

        try:
            await asyncio.to_thread(deliver)
        except KafkaDeliveryError:
            self._producer = None
            raise

    def close(self) -> None:
        """Let in-flight records go, briefly; the producer is dropped either way."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout_s=5)
            except KafkaDeliveryError as exc:
                log.warning("offer events not delivered at shutdown: %s", exc)


# `async def`, though they await nothing: FastAPI runs a plain `def` dependency in its thread
# pool, a thread hop per request (bench/api_latency.py on one core: p99 at 500 req/s 21-22 ms
# that way, 7-9 ms this way).
async def _reader(request: Request) -> StoreReader:
    reader: StoreReader = request.app.state.reader
    return reader


async def _publisher(request: Request) -> EventPublisher:
    publisher: EventPublisher = request.app.state.publisher
    return publisher


Reader = Annotated[StoreReader, Depends(_reader)]
Publisher = Annotated[EventPublisher, Depends(_publisher)]


async def api_key(
    request: Request,
    presented: Annotated[str | None, Depends(APIKeyHeader(name="X-API-Key", auto_error=False))],
) -> None:
    """The key again, for the schema's security scheme (middleware.Gatekeeper has already
    refused a request without one, before its body was read)."""
    keys: ApiKeys = request.app.state.api_keys
    if not keys.allows(presented):
        raise HTTPException(401, "a valid X-API-Key header is required")


#: The dependencies of every /v1 route.
SECURED = [Depends(api_key)]
