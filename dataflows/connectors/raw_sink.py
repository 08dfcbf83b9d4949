"""The loader's sink: micro-batches into the raw tables, rejected records to dead_letter.

Unit of parallelism: whatever keys reach a worker (a key is a Kafka topic-partition, and
Bytewax keeps a key on one worker). Delivery: exactly once into the raw tables (the writer
skips offsets already on disk); at least once into the `dead_letter` topic, which is written
before the table so a crash in between repeats a dead letter rather than losing it.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable

from bytewax.outputs import DynamicSink, StatelessSinkPartition
from prometheus_client import Counter, Histogram

from backbeat.events.codec import printable
from backbeat.kafka.dead_letter import DEAD_LETTER_TOPIC, LOADER_STAGE, DeadLetter
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import Settings
from backbeat.warehouse import open_backend
from backbeat.warehouse.raw_writer import RawWriter
from backbeat.warehouse.rows import DeadRow, LoaderRow, RawRow

log = logging.getLogger("backbeat.loader")

ROWS_WRITTEN = Counter(
    "backbeat_loader_rows_written_total", "Rows written to raw tables", ["table"]
)
ROWS_SKIPPED = Counter(
    "backbeat_loader_rows_skipped_total", "Rows already in raw (read again after a restart)"
)
DEAD_LETTERS = Counter(
    "backbeat_loader_dead_letters_total", "Records rejected by validation", ["topic"]
)
REFUSED = Counter(
    "backbeat_loader_rows_refused_total",
    "Valid records the warehouse refused (stored as dead letters; each one is a bug to report)",
    ["topic"],
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
    def __init__(
        self, writer: RawWriter, dead_letters: KafkaProducer, clock: Callable[[], float]
    ) -> None:
        self._writer = writer
        self._dead_letters = dead_letters
        self._clock = clock

    def write_batch(self, items: list[Batch]) -> None:
        began = time.perf_counter()
        rows = [row for _, batch in items for row in batch]
        fresh = self._writer.unwritten(rows)
        now_ms = int(self._clock() * 1000)
        stored = self._store(fresh, now_ms)
        by_topic: dict[str, list[RawRow]] = defaultdict(list)
        dead = 0
        for row in stored:
            if isinstance(row, RawRow):
                by_topic[row.topic].append(row)
            else:
                dead += 1
        visible_ms = self._clock() * 1000  # after the rename / append: queryable now
        for topic, written in by_topic.items():
            ROWS_WRITTEN.labels(topic).inc(len(written))
            lag = EVENT_LAG.labels(topic)
            for event in written:
                lag.observe(max(0.0, (visible_ms - event.event_ms) / 1000))
        if dead:
            ROWS_WRITTEN.labels("dead_letter").inc(dead)
        if len(fresh) < len(rows):
            ROWS_SKIPPED.inc(len(rows) - len(fresh))
        BATCH_SECONDS.observe(time.perf_counter() - began)

    def _store(self, rows: list[LoaderRow], now_ms: int) -> list[LoaderRow]:
        """Write `rows`; the rows as stored (a row the warehouse refused, as a dead letter).

        Validation makes every row storable, so a refused batch means a fault it missed or
        the warehouse failing. The rows are then written one by one, in offset order: a row
        refused twice while others are stored becomes a dead letter with the warehouse's
        reason (it must: the rows after it move the partition's mark past it), so one record
        cannot stop the loader. If every row is refused, the warehouse is at fault, nothing
        of the batch is written, and the error stops the loader (a restart retries it).
        Dead letters themselves must land: if they cannot, the error stops the loader.
        """
        self._send_dead_letters([row for row in rows if isinstance(row, DeadRow)])
        try:
            self._writer.write(rows, ingested_ms=now_ms)
        except Exception as exc:  # any refusal: find the row that caused it
            if all(isinstance(row, DeadRow) for row in rows):
                raise
            log.warning(
                "a batch of %d rows was refused (%s); writing them one by one", len(rows), exc
            )
            return self._store_one_by_one(rows, now_ms, exc)
        return rows

    def _store_one_by_one(
        self, rows: list[LoaderRow], now_ms: int, batch_error: Exception
    ) -> list[LoaderRow]:
        stored: list[LoaderRow] = []
        refused: list[tuple[RawRow, Exception]] = []
        for row in rows:
            error = self._write_alone(row, now_ms)
            if error is None:
                stored.append(row)
            elif isinstance(row, RawRow):
                refused.append((row, error))
            else:
                raise error
        if refused and len(refused) == sum(isinstance(row, RawRow) for row in rows) > 1:
            raise batch_error  # not one row stored: the warehouse, not a record
        for row, error in refused:
            REFUSED.labels(row.topic).inc()
            dead = DeadRow.rejected(
                row.topic,
                row.partition,
                row.offset,
                row.kafka_ts_ms,
                printable(f"the warehouse refused the record: {type(error).__name__}: {error}"),
                row.value,
                now_ms,
            )
            log.error("%s[%d]@%d: %s", row.topic, row.partition, row.offset, dead.error)
            self._send_dead_letters([dead])
            self._writer.write([dead], ingested_ms=now_ms)
            stored.append(dead)
        return stored

    def _write_alone(self, row: LoaderRow, now_ms: int) -> Exception | None:
        """Write one row, trying twice (a passing fault of the warehouse is not the row's)."""
        error: Exception | None = None
        for _ in range(2):
            try:
                self._writer.write([row], ingested_ms=now_ms)
            except Exception as exc:  # any refusal of this one row
                error = exc
            else:
                return None
        return error

    def _send_dead_letters(self, dead: list[DeadRow]) -> None:
        own = [row for row in dead if row.stage == LOADER_STAGE]  # others came from the topic
        for row in own:
            letter = DeadLetter(
                original=row.value,
                error=row.error,
                stage=LOADER_STAGE,
                source_topic=row.topic,
                source_partition=row.partition,
                source_offset=row.offset,
            )
            self._dead_letters.write(DEAD_LETTER_TOPIC, None, row.value, letter.headers())
            DEAD_LETTERS.labels(row.topic).inc()
        if own:  # in Kafka before the table: a crash in between repeats a letter, never loses one
            self._dead_letters.flush()

    def close(self) -> None:
        self._dead_letters.close()
        self._writer.close()


class RawTablesSink(DynamicSink[Batch]):
    """Writes (key, rows) micro-batches into the configured warehouse's raw tables."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _RawTablesPartition:
        dead_letters = KafkaProducer(self._settings.kafka, linger_ms=5, patient=True)
        writer = open_backend(self._settings).raw_writer()
        return _RawTablesPartition(writer, dead_letters, time.time)
