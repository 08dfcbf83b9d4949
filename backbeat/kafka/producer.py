"""Producing to Kafka: one producer for the whole platform, and its errors.

Simulated and replayed events, dead letters, decided offers, judgements and the API's offer
events all go through `KafkaProducer`; records Backbeat makes itself go through `publish`,
which takes the topic and the bytes from the event codec. Tuned per use only in how long it
lingers and whether it waits out an unavailable Kafka (`patient`).
"""

from __future__ import annotations

import logging
from collections import Counter

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from backbeat.events.codec import Record, encode, topic_of
from backbeat.kafka.dead_letter import DEAD_LETTER_TOPIC, DeadLetter, Headers
from backbeat.settings.kafka import KafkaSettings

log = logging.getLogger("backbeat.kafka")

#: How often a patient producer says it is still waiting for Kafka.
PATIENT_WARN_S = 30.0
_LIBRDKAFKA_MAX_BYTES = 1_000_000  # librdkafka's default message.max.bytes
#: Room left in a dead letter for its headers (the reason, the file name).
_LETTER_HEADROOM = 16_384


class KafkaDeliveryError(RuntimeError):
    """Kafka refused records; the message says how many and why."""


class RecordTooLarge(ValueError):
    """One record is over the producer's `message.max.bytes`: Kafka cannot carry it."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"the record is {size:,} bytes, over Kafka's limit of {limit:,} (message.max.bytes)"
        )
        self.size = size
        self.limit = limit


class KafkaProducer:
    """The platform's producer: batching, every record confirmed before `close` returns.

    The producer is idempotent (no duplicates from its own retries). librdkafka reports only
    failed deliveries (a Python callback per record would halve throughput); failures and
    records still queued at the end are raised at `close`, never dropped silently.
    """

    def __init__(self, settings: KafkaSettings, linger_ms: int = 20, patient: bool = False) -> None:
        """`patient`: a record that must reach Kafka (a dead letter, a decided offer) is
        retried for as long as Kafka is unavailable, and `flush` waits, saying so every
        `PATIENT_WARN_S`: the caller stalls, as its input does, instead of crashing."""
        self.counts: Counter[str] = Counter()
        self.failed = 0
        self._last_error: KafkaError | None = None
        self._patient = patient
        options: dict[str, str | int | float | bool] = {
            "enable.idempotence": True,
            "delivery.report.only.error": True,
            # Errors only: a fresh broker makes the idempotent producer log benign retries.
            "log_level": 3,
            "linger.ms": linger_ms,
            "batch.size": 1_000_000,
            "compression.type": "lz4",
            "queue.buffering.max.messages": 500_000,
        }
        if patient:
            options["message.timeout.ms"] = 0  # no delivery deadline: retried until taken
        config = settings.client_config(**options)
        self.max_bytes = int(config.get("message.max.bytes", _LIBRDKAFKA_MAX_BYTES))
        self._producer = Producer(config)
        self._since_poll = 0

    def publish(self, record: Record, key: bytes | None) -> None:
        """`record` on its topic, as the codec writes it: the path every record Backbeat
        makes itself takes (offers, judgements, offer events; simulated events are encoded
        in bulk by the simulator and handed to `write`)."""
        self.write(topic_of(record), key, encode(record))

    def _on_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self.failed += 1
            self._last_error = error

    def write(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        headers: Headers | None = None,
    ) -> None:
        while True:
            try:
                self._producer.produce(
                    topic, value, key, headers=headers, on_delivery=self._on_delivery
                )
                break
            except BufferError:  # local queue full: let librdkafka send, then retry
                self._producer.poll(0.05)
            except KafkaException as exc:
                if exc.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE:
                    raise RecordTooLarge(len(value), self.max_bytes) from None
                raise
        self.counts[topic] += 1
        self._since_poll += 1
        if self._since_poll >= 1000:
            self._producer.poll(0)
            self._since_poll = 0

    def reject(self, dead: DeadLetter) -> None:
        if len(dead.original) > self.max_bytes - _LETTER_HEADROOM:  # keep what fits
            dead = dead.truncated(self.max_bytes - _LETTER_HEADROOM)
        self.write(DEAD_LETTER_TOPIC, None, dead.original, dead.headers())

    def close(self, timeout_s: float = 60.0) -> None:
        self.flush(timeout_s)

    def flush(self, timeout_s: float = 60.0) -> None:
        """Wait until every record so far is delivered; raise if any was refused. A patient
        sink waits as long as it takes."""
        remaining = self._producer.flush(timeout_s)
        while remaining and self._patient:
            log.warning("Kafka has not taken %d records yet; still trying", remaining)
            remaining = self._producer.flush(PATIENT_WARN_S)
        if remaining or self.failed:
            raise KafkaDeliveryError(
                f"{self.failed + remaining} records were not delivered to Kafka"
                + (f" (last error: {self._last_error})" if self._last_error else "")
            )
