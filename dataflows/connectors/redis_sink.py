"""The sessions dataflow's sink into Redis: effects written in one pipeline per batch.

Redis unavailable: the batch is retried with exponential backoff (up to 5 s between tries)
until Redis answers, holding the worker; Kafka keeps the records meanwhile, so nothing is
decided twice or lost, and the dataflow catches up when Redis is back. Delivery: at least
once (a replay after a crash rewrites the same offers by id; co-play counts of the replayed
records are added again, a small bias the decay washes out). The plays the store judged go
on to the `recommendation_judgements` topic once Redis has the batch.
"""

from __future__ import annotations

import logging
import time

import redis
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from prometheus_client import Counter

from backbeat.settings import Settings
from dataflows.connectors.judgements_topic import JudgementsTopic
from offers.activity import Effect
from offers.store import RedisOfferStore

log = logging.getLogger("backbeat.sessions")
REDIS_RETRIES = Counter(
    "backbeat_sessions_redis_retries_total", "Batches retried because Redis did not answer"
)
MAX_BACKOFF_S = 5.0


class _RedisPartition(StatelessSinkPartition[Effect]):
    def __init__(self, store: RedisOfferStore, judgements: JudgementsTopic) -> None:
        self._store = store
        self._judgements = judgements

    def write_batch(self, items: list[Effect]) -> None:
        delay = 0.1
        while True:
            try:
                judged = self._store.apply(items)
                break
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                REDIS_RETRIES.inc()
                log.warning("Redis did not answer (%s); retrying in %.1f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)

        self._judgements.send(judged)

    def close(self) -> None:
        self._store.client.close()
        self._judgements.close()


class RedisEffectsSink(DynamicSink[Effect]):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _RedisPartition:
        store = RedisOfferStore.from_settings(self._settings, timeout_s=2.0)
        return _RedisPartition(store, JudgementsTopic(self._settings.kafka))
