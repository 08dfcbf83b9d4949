"""The loader's sink: micro-batches into the raw tables, rejected records to dead_letter.

Unit of parallelism: whatever keys reach a worker (a key is a Kafka topic-partition, and
Bytewax keeps a key on one worker). Delivery: exactly once into the raw tables (the writer
skips offsets already on disk); at least once into the `dead_letter` topic, which is written
before the table so a crash in between repeats a dead letter rather than losing it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

from bytewax.outputs import DynamicSink, StatelessSinkPartition
from confluent_kafka import Producer
from prometheus_client import Counter, Histogram

from backbeat.kafka.dead_letter import DEAD_LETTER_TOPIC, DeadLetter
from backbeat.settings.kafka import KafkaSettings
from backbeat.settings.warehouse import WarehouseSettings
from backbeat.warehouse.raw_writer import RawWriter, open_raw_writer
from backbeat.warehouse.rows import DeadRow, LoaderRow, RawRow

ROWS_WRITTEN = Counter(
    "backbeat_loader_rows_written_total", "Rows written to raw tables", ["table"]
)
ROWS_SKIPPED = Counter(
    "backbeat_loader_rows_skipped_total", "Rows already in raw (read again after a restart)"
)
DEAD_LETTERS = Counter(
    "backbeat_loader_dead_letters_total", "Records rejected by validation", ["topic"]
)
BATCH_SECONDS = Histogram("backbeat_loader_batch_write_seconds", "Time to write one micro-batch")
EVENT_LAG = Histogram(
    "backbeat_loader_event_to_warehouse_seconds",
    "From event time to being queryable in raw",
    ["topic"],
    buckets=(0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 3600, float("inf")),
)

Batch = tuple[str, list[LoaderRow]]


class _RawTablesPartition(StatelessSinkPartition[Batch]):
    def __init__(self, writer: RawWriter, producer: Producer, clock: Callable[[], float]) -> None:
        self._writer = writer
        self._producer = producer
        self._clock = clock

    def write_batch(self, items: list[Batch]) -> None:
        began = time.perf_counter()
        rows = [row for _, batch in items for row in batch]
        fresh = self._writer.unwritten(rows)
        dead = [row for row in fresh if isinstance(row, DeadRow)]
        for row in dead:
            letter = DeadLetter(
                original=row.value,
                error=row.error,
                stage="loader",
                source_topic=row.topic,
                source_partition=row.partition,
                source_offset=row.offset,
            )
            self._producer.produce(DEAD_LETTER_TOPIC, row.value, headers=letter.headers())
            DEAD_LETTERS.labels(row.topic).inc()
        if dead and self._producer.flush(30) > 0:
            raise RuntimeError(
                "dead letters could not be delivered to Kafka; not writing the batch"
            )
        now_ms = int(self._clock() * 1000)
        self._writer.write(fresh, ingested_ms=now_ms)
        by_topic: dict[str, list[RawRow]] = defaultdict(list)
        for fresh_row in fresh:
            if isinstance(fresh_row, RawRow):
                by_topic[fresh_row.topic].append(fresh_row)
        visible_ms = self._clock() * 1000  # after the rename / append: queryable now
        for topic, written in by_topic.items():
            ROWS_WRITTEN.labels(topic).inc(len(written))
            lag = EVENT_LAG.labels(topic)
            for event in written:
                lag.observe(max(0.0, (visible_ms - event.event_ms) / 1000))
        if dead:
            ROWS_WRITTEN.labels("dead_letter").inc(len(dead))
        if len(fresh) < len(rows):
            ROWS_SKIPPED.inc(len(rows) - len(fresh))
        BATCH_SECONDS.observe(time.perf_counter() - began)

    def close(self) -> None:
        self._producer.flush(30)
        self._writer.close()


class RawTablesSink(DynamicSink[Batch]):
    """Writes (key, rows) micro-batches into the configured warehouse's raw tables."""

    def __init__(self, kafka: KafkaSettings, warehouse: WarehouseSettings) -> None:
        self._kafka = kafka
        self._warehouse = warehouse

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _RawTablesPartition:
        producer = Producer(
            self._kafka.client_config(**{"enable.idempotence": True, "log_level": 3})
        )
        return _RawTablesPartition(open_raw_writer(self._warehouse), producer, time.time)
