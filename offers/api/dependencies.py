"""What the routes depend on, made once per app in its lifespan and kept on `app.state`:
the store reader (Redis), the offer-event publisher (Kafka) and the API keys."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any, TypeVar

import redis
from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader
from redis.asyncio import RedisCluster

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

    A burst queues, and only what `timeout_s` passes is shed (a `redis.RedisError`, answered
    503). On one Redis the client does it: its pool blocks up to the timeout and a timed-out
    command is not retried. redis-py's Redis Cluster client has no blocking pool (past its
    connections a request failed at once) and retries after a timeout, and cancelling its
    read is not enough (on Python 3.11 its own socket timeout can take the cancellation for
    its expiry and retry: a read answered after 3 s). So on a cluster at most
    `max_in_flight` reads run at once, and each runs as a task the request stops waiting for
    at the deadline (its turn comes back when it has really ended). That costs ~8 us a
    request, which one Redis does not pay.
    """

    def __init__(
        self, client: AsyncClient, keys: RedisKeys, max_in_flight: int, timeout_s: float
    ) -> None:
        self.client = client
        self.reads = StoreReads(keys)
        self._turns = asyncio.Semaphore(max_in_flight)
        self._timeout_s = timeout_s
        self._bounded_here = isinstance(client, RedisCluster)

    async def __call__(self, read: Read[T]) -> T:
        if not self._bounded_here:
            return await read_async(self.client, read)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        try:
            async with asyncio.timeout_at(deadline):
                await self._turns.acquire()
        except TimeoutError:
            raise self._late() from None
        reading = asyncio.ensure_future(read_async(self.client, read))
        reading.add_done_callback(self._give_back)
        done, _ = await asyncio.wait((reading,), timeout=deadline - loop.time())
        if not done:
            reading.cancel()
            raise self._late()
        return reading.result()

    def _give_back(self, reading: asyncio.Future[Any]) -> None:
        self._turns.release()
        if not reading.cancelled():
            reading.exception()  # a late read's error: the request was answered 503 already

    def _late(self) -> redis.TimeoutError:
        return redis.TimeoutError(
            f"the offer store did not answer within {self._timeout_s * 1000:.0f} ms"
        )


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
