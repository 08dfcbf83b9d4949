"""Where generated or replayed events go: eventsim's file mode, stdout, Kafka, or raw directly.

Every sink takes (topic, key, value bytes) and counts what it wrote per topic. Rejected
input goes to `dead_letter`: a Kafka record there (see backbeat.kafka.dead_letter), or for
file and stdout output a line on stderr, since eventsim's file mode has no such file.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from pathlib import Path
from typing import BinaryIO, Protocol

import msgspec
from confluent_kafka import KafkaError, KafkaException, Message, Producer

from backbeat.kafka.dead_letter import DEAD_LETTER_TOPIC, DeadLetter, Headers
from backbeat.kafka.topics import EVENT_TOPICS
from backbeat.settings.kafka import KafkaSettings
from backbeat.warehouse.raw_writer import RawWriter
from backbeat.warehouse.rows import RawRow

log = logging.getLogger("backbeat.kafka")

_WRITE_BUFFER = 1 << 20
#: How often a patient sink says it is still waiting for Kafka.
PATIENT_WARN_S = 30.0
_LIBRDKAFKA_MAX_BYTES = 1_000_000  # librdkafka's default message.max.bytes
#: Room left in a dead letter for its headers (the reason, the file name).
_LETTER_HEADROOM = 16_384


class EventSink(Protocol):
    counts: Counter[str]

    def write(self, topic: str, key: bytes | None, value: bytes) -> None: ...

    def reject(self, dead: DeadLetter) -> None: ...

    def close(self) -> None: ...


def _report_rejection(dead: DeadLetter, counts: Counter[str]) -> None:
    where = f"{dead.source_file}:{dead.source_line}" if dead.source_file else dead.source_topic
    sys.stderr.write(f"rejected {where}: {dead.error}\n")
    counts[DEAD_LETTER_TOPIC] += 1


class DirectorySink:
    """eventsim's file mode: one NDJSON file per topic, named after it, in `directory`."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.counts: Counter[str] = Counter()
        self._files: dict[str, BinaryIO] = {
            topic: (directory / topic).open("wb", buffering=_WRITE_BUFFER) for topic in EVENT_TOPICS
        }

    def write(self, topic: str, key: bytes | None, value: bytes) -> None:
        self._files[topic].write(value)
        self.counts[topic] += 1

    def reject(self, dead: DeadLetter) -> None:
        _report_rejection(dead, self.counts)

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


class StdoutSink:
    """All topics as one NDJSON stream on stdout (a record's keys tell its topic)."""

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self._stream = stream or sys.stdout.buffer
        self.counts: Counter[str] = Counter()

    def write(self, topic: str, key: bytes | None, value: bytes) -> None:
        self._stream.write(value)
        self.counts[topic] += 1

    def reject(self, dead: DeadLetter) -> None:
        _report_rejection(dead, self.counts)

    def close(self) -> None:
        self._stream.flush()


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


class KafkaSink:
    """Produces to Kafka with batching; every record is confirmed before `close` returns.

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


class _EventTime(msgspec.Struct):
    ts: int


class DirectRawSink:
    """Straight into the raw tables, bypassing Kafka: for benchmarks and local backfills.

    Rows get synthetic Kafka coordinates: partition -1 (no Kafka partition is negative) and
    offsets counting up from the highest one raw already holds for it, so the raw writer's
    exactly-once bookkeeping and the `_partition`/`_offset` key still hold.
    """

    PARTITION = -1

    def __init__(
        self,
        writer: RawWriter,
        batch_rows: int = 50_000,
        ingested_ms: int | None = None,
        live_lag_ms: int | None = None,
    ) -> None:
        """`ingested_ms` stamps every row's `_ingested_at` (default: when its batch is
        written); `live_lag_ms` stamps each batch at its newest event time plus that lag
        instead, as if it had been loaded live (benchmarks of steady-state builds)."""
        self.counts: Counter[str] = Counter()
        self._writer = writer
        self._batch_rows = batch_rows
        self._ingested_ms = ingested_ms
        self._live_lag_ms = live_lag_ms
        self._next = {t: writer.latest_offset(t, self.PARTITION) + 1 for t in EVENT_TOPICS}
        self._rows: list[RawRow] = []
        self._decoder = msgspec.json.Decoder(_EventTime)

    def write(self, topic: str, key: bytes | None, value: bytes) -> None:
        offset = self._next[topic]
        self._next[topic] = offset + 1
        now_ms = int(time.time() * 1000)
        event_ms = self._decoder.decode(value).ts
        self._rows.append(RawRow(topic, self.PARTITION, offset, now_ms, event_ms, value))
        self.counts[topic] += 1
        if len(self._rows) >= self._batch_rows:
            self.flush()

    def reject(self, dead: DeadLetter) -> None:
        _report_rejection(dead, self.counts)

    def flush(self) -> None:
        if not self._rows:
            return
        stamp = self._ingested_ms
        if self._live_lag_ms is not None:
            stamp = max(row.event_ms for row in self._rows) + self._live_lag_ms
        self._writer.write(self._rows, ingested_ms=stamp)
        self._rows = []

    def close(self) -> None:
        self.flush()
        self._writer.close()
