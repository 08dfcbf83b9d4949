"""Kafka topics as a Bytewax source that can stop: when idle, or on SIGTERM.

Bytewax's own KafkaSource tails forever. Backbeat's loader also runs as a batch job
(`--exit-when-idle`) and must flush its open micro-batches when asked to stop, so this
source ends a partition when its stop event is set or when the partition has been drained
(at the end of the log) for `exit_when_idle_s`.

Unit of parallelism: one Kafka partition per Bytewax partition. Delivery: offsets live in
Bytewax's recovery snapshots (nothing is committed to Kafka), so after a crash records since
the last snapshot are read again; the sink must be idempotent for an exactly-once effect.
Records that Kafka deleted before they were read stop the dataflow, or are counted as lost
(`data_loss.py`): never skipped silently.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import cast

import msgspec
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from prometheus_client import Counter, Gauge

from backbeat.events.schemas import MAX_EPOCH_MS
from backbeat.kafka.admin import admin_client
from backbeat.kafka.dead_letter import ReadHeaders
from backbeat.settings.kafka import KafkaSettings
from dataflows.connectors.data_loss import DataLossError, RetentionGap, retention_gap

log = logging.getLogger("backbeat.kafka")


@cache
def lag_gauge(dataflow: str) -> Gauge:
    """`backbeat_<dataflow>_kafka_lag_records`: each dataflow reports its own lag."""
    return Gauge(
        f"backbeat_{dataflow}_kafka_lag_records",
        f"Records in a partition not yet read by the {dataflow} dataflow "
        "(high watermark - next offset)",
        ["topic", "partition"],
    )


@cache
def lost_counter(dataflow: str) -> Counter:
    """`backbeat_<dataflow>_kafka_records_lost_total`: records skipped because Kafka had
    deleted them (only with fail_on_data_loss off; otherwise the dataflow stops)."""
    return Counter(
        f"backbeat_{dataflow}_kafka_records_lost_total",
        f"Records the {dataflow} dataflow never read: Kafka deleted them first (retention)",
        ["topic", "partition"],
    )


def _raise(message: str) -> None:
    raise DataLossError(message)


LAG_EVERY_S = 5.0
_WATERMARK_TIMEOUT_S = 10.0
_IDLE_WAKE = timedelta(milliseconds=50)  # after an empty read at the end of the log
_EMPTY_WAKE = timedelta(milliseconds=10)  # after an empty read elsewhere (data in flight)


class EndOfPartitionClock:
    """How long a partition has been at the end of its log, from the events of its reads.

    librdkafka reports the end once per time it is reached, often in the same read as the
    last records, so the order of events within a read matters: a record after the end
    means the partition moved on; an end after the records means it is drained.
    """

    def __init__(self) -> None:
        self._since: float | None = None

    def record(self) -> None:
        self._since = None

    def end(self, now: float) -> None:
        if self._since is None:
            self._since = now

    @property
    def at_end(self) -> bool:
        return self._since is not None

    def idle_for(self, now: float) -> float:
        """Seconds at the end of the log (0 while records are coming)."""
        return 0.0 if self._since is None else now - self._since


class KafkaRecord(msgspec.Struct, frozen=True, gc=False):
    """One record read from Kafka (a msgspec struct: built per record, it is the cheapest
    immutable object to make)."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: ReadHeaders | None = None


class _KafkaPartition(StatefulSourcePartition[KafkaRecord, int]):
    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        partition: int,
        next_offset: int,
        batch_size: int,
        exit_when_idle_s: float | None,
        stop: threading.Event,
        lag: Gauge,
        dataflow: str,
        on_data_loss: Callable[[str], None],
    ) -> None:
        self._topic, self._partition = topic, partition
        self._lag = lag
        self._dataflow = dataflow
        self._labels = {"topic": topic, "partition": str(partition)}
        self._fail_on_data_loss = settings.fail_on_data_loss
        self._on_data_loss = on_data_loss
        self._batch_size = batch_size
        self._exit_when_idle_s = exit_when_idle_s
        self._stop = stop
        options: dict[str, str | int | float | bool] = {
            "group.id": "backbeat-loader-unused",  # assign() below: no group membership
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            # An offset Kafka no longer holds is an error event, not a jump to the end.
            "auto.offset.reset": "error",
            "log_level": 3,
        }
        self._consumer = Consumer(settings.client_config(**options))
        self._next_offset = self._readable(next_offset)
        self._consumer.assign([TopicPartition(topic, partition, self._next_offset)])
        self._end = EndOfPartitionClock()
        self._last_read_empty = False
        self._lag_checked = 0.0

    def next_batch(self) -> Iterable[KafkaRecord]:
        if self._stop.is_set():
            raise StopIteration
        messages = self._consumer.consume(self._batch_size, 0.0)
        batch = []
        out_of_range = False
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    self._end.end(time.monotonic())
                    continue
                if error.code() == KafkaError._AUTO_OFFSET_RESET:
                    # Retention deleted records while this partition was behind them.
                    out_of_range = True
                    break
                raise RuntimeError(
                    f"reading {self._topic}[{self._partition}] from Kafka failed: {error}"
                )
            _, stamp = message.timestamp()
            # -1: none, or none a warehouse can store (a producer may set any int64).
            timestamp = stamp if stamp is not None and 0 <= stamp <= MAX_EPOCH_MS else -1
            offset = message.offset()
            assert offset is not None  # only error events lack one
            self._end.record()
            batch.append(
                KafkaRecord(
                    self._topic,
                    self._partition,
                    offset,
                    timestamp,
                    message.key(),
                    message.value(),
                    cast(ReadHeaders | None, message.headers()),
                )
            )
        self._last_read_empty = not batch
        if batch:
            self._next_offset = batch[-1].offset + 1
        if out_of_range:
            self._next_offset = self._readable(self._next_offset)
            self._consumer.seek(TopicPartition(self._topic, self._partition, self._next_offset))
        elif (
            self._exit_when_idle_s is not None
            and self._end.at_end
            and self._end.idle_for(time.monotonic()) >= self._exit_when_idle_s
        ):
            raise StopIteration
        self._report_lag()
        return batch

    def _readable(self, offset: int) -> int:
        """`offset` if Kafka still holds it; otherwise the loss is reported (the dataflow
        stops), or, with fail_on_data_loss off, counted and the oldest offset held returned."""
        if offset < 0:
            return offset
        low, high = self._consumer.get_watermark_offsets(
            TopicPartition(self._topic, self._partition), timeout=_WATERMARK_TIMEOUT_S
        )
        gap = retention_gap(self._topic, self._partition, offset, low, high)
        if gap is None:
            return offset
        self._report_loss(gap)
        return gap.resume_at

    def _report_loss(self, gap: RetentionGap) -> None:
        message = gap.describe(self._dataflow)
        if self._fail_on_data_loss:
            self._on_data_loss(message)
            raise DataLossError(message)  # on_data_loss must not return; never read on
        log.error("skipping records Kafka no longer holds (fail_on_data_loss is off): %s", message)
        lost_counter(self._dataflow).labels(**self._labels).inc(gap.lost or 0)

    def next_awake(self) -> datetime | None:
        # After an empty read, do not spin: look again a little later.
        if not self._last_read_empty:
            return None
        return datetime.now(UTC) + (_IDLE_WAKE if self._end.at_end else _EMPTY_WAKE)

    def _report_lag(self) -> None:
        now = time.monotonic()
        if now - self._lag_checked < LAG_EVERY_S:
            return
        # The watermarks the consumer's own fetches brought back: asking the broker instead
        # (cached=False) is a round trip that queues behind the consumer's long-polling fetch
        # on an idle partition, up to fetch.wait.max.ms, and this runs on the worker's thread:
        # with 24 partitions that stalled the loader for seconds at every check.
        try:
            low, high = self._consumer.get_watermark_offsets(
                TopicPartition(self._topic, self._partition), cached=True
            )
        except KafkaException:  # a metric never stops the loader
            return
        if high < 0:  # not known until a fetch has answered: look again next read
            return
        self._lag_checked = now
        position = self._next_offset if self._next_offset >= 0 else low
        self._lag.labels(**self._labels).set(max(0, high - position))

    def snapshot(self) -> int:
        return self._next_offset

    def close(self) -> None:
        self._consumer.close()


class KafkaTopicsSource(FixedPartitionedSource[KafkaRecord, int]):
    """Every partition of `topics`, from the beginning (or where recovery left off)."""

    def __init__(
        self,
        settings: KafkaSettings,
        topics: Sequence[str],
        batch_size: int = 5000,
        exit_when_idle_s: float | None = None,
        stop: threading.Event | None = None,
        dataflow: str = "loader",
        on_data_loss: Callable[[str], None] = _raise,
    ) -> None:
        """`dataflow` names the metrics, `backbeat_<dataflow>_kafka_lag_records`, and
        the messages; `on_data_loss(message)` ends the dataflow when records it must read are
        gone from Kafka and `settings.fail_on_data_loss` is on (default: raise DataLossError;
        the dataflows print the message and exit)."""
        if not topics:
            raise ValueError(f"at least one topic is needed, got {topics!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
        if exit_when_idle_s is not None and exit_when_idle_s < 0:
            raise ValueError(f"exit_when_idle_s must be >= 0, got {exit_when_idle_s!r}")
        self._settings = settings
        self._topics = list(topics)
        self._batch_size = batch_size
        self._exit_when_idle_s = exit_when_idle_s
        self._stop = stop or threading.Event()
        self._lag = lag_gauge(dataflow)
        self._dataflow = dataflow
        self._on_data_loss = on_data_loss

    def list_parts(self) -> list[str]:
        metadata = admin_client(self._settings).list_topics(timeout=10)
        parts = []
        for topic in self._topics:
            if topic not in metadata.topics or metadata.topics[topic].error is not None:
                raise RuntimeError(
                    f"Kafka topic {topic!r} does not exist; create it (backbeat up does)"
                )
            parts += [f"{topic}#{p}" for p in sorted(metadata.topics[topic].partitions)]
        return parts

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _KafkaPartition:
        topic, _, partition = for_part.rpartition("#")
        return _KafkaPartition(
            self._settings,
            topic,
            int(partition),
            OFFSET_BEGINNING if resume_state is None else resume_state,
            self._batch_size,
            self._exit_when_idle_s,
            self._stop,
            self._lag,
            self._dataflow,
            self._on_data_loss,
        )
