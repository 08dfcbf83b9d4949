"""Decided offers to the `offers` topic (keyed by user), so the loader lands them in raw
and the history outlives Redis. Holdout decisions go too, marked `holdout: true`.

Each batch is flushed before the step finishes, so an epoch's offers are in Kafka before
its snapshot; a replay after a crash may send an offer again, with the same `offer_id`.
While Kafka is unavailable the flush waits (a patient sink): the dataflow stalls, it does
not crash.
"""

from __future__ import annotations

import msgspec
from bytewax.outputs import DynamicSink, StatelessSinkPartition

from backbeat.events.schemas import OfferRecord
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings.kafka import KafkaSettings
from offers.engine import Decision


def offer_record(decision: Decision) -> OfferRecord:
    """The `offers` record of a decision (the loader validates it like the event topics)."""
    return OfferRecord(
        ts=decision.decided_at_ms,
        offer_id=decision.offer_id,
        user_id=decision.user_id,
        rule_id=decision.rule_id,
        offer_type=decision.offer_type,
        reason=decision.reason,
        priority=decision.priority,
        expires_at=decision.expires_at_ms,
        holdout=decision.holdout,
        payload=msgspec.json.encode(decision.payload).decode(),
    )


class _OffersPartition(StatelessSinkPartition[Decision]):
    def __init__(self, settings: KafkaSettings) -> None:
        self._producer = KafkaProducer(settings, linger_ms=5, patient=True)

    def write_batch(self, items: list[Decision]) -> None:
        for decision in items:
            self._producer.publish(offer_record(decision), str(decision.user_id).encode())
        self._producer.flush()  # raises if any offer was not delivered

    def close(self) -> None:
        self._producer.close()


class OffersTopicSink(DynamicSink[Decision]):
    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _OffersPartition:
        return _OffersPartition(self._settings)
