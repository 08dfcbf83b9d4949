"""Where generated or replayed events go: eventsim's file mode, stdout, Kafka, or raw directly.

Every sink takes (topic, key, value bytes) and counts what it wrote per topic; the Kafka
one is the platform's producer, `backbeat.kafka.producer.KafkaProducer`. Rejected
input goes to `dead_letter`: a Kafka record there (see backbeat.kafka.dead_letter), or for
file and stdout output a line on stderr, since eventsim's file mode has no such file.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import BinaryIO, Protocol

import msgspec

from backbeat.kafka.dead_letter import DEAD_LETTER_TOPIC, DeadLetter
from backbeat.kafka.topics import EVENT_TOPICS
from backbeat.warehouse.raw_writer import RawWriter
from backbeat.warehouse.rows import RawRow

_WRITE_BUFFER = 1 << 20


class EventSink(Protocol):
    """Where a run writes: the files and stdout here, Kafka (backbeat.kafka.producer's
    `KafkaProducer` is one), or raw directly."""

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
