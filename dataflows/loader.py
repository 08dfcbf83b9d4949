"""The loader dataflow: Kafka -> validated micro-batches -> raw tables (exactly once).

    python -m bytewax.run "dataflows.loader:build_flow()" -w 2 -r .backbeat/recovery/loader -s 5
    backbeat load            # the same, with recovery set up and settings applied

Records are validated with Backbeat's event schemas; anything that fails goes to the
`dead_letter` topic and table with the reason. Valid records are grouped per Kafka
topic-partition into micro-batches, written when a batch reaches `batch_max_rows` rows or
`batch_max_seconds` after its first row, whichever comes first (dataflows/micro_batch.py).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import bytewax.operators as op
from bytewax.dataflow import Dataflow

from backbeat.events.codec import EventDecodeError, decode
from backbeat.kafka.topics import LOADED_TOPICS
from backbeat.settings import Settings, get_settings
from backbeat.warehouse.rows import DeadRow, LoaderRow, RawRow
from dataflows.connectors.kafka_source import KafkaRecord, KafkaTopicsSource
from dataflows.connectors.raw_sink import RawTablesSink
from dataflows.lifecycle import serve_metrics, stop_on_signals
from dataflows.micro_batch import micro_batch

#: Set on SIGTERM/SIGINT: sources end, open batches are flushed, the dataflow exits.
STOP = threading.Event()


def batch_key(record: KafkaRecord) -> str:
    """Micro-batches are per Kafka topic-partition, which keeps each one in offset order."""
    return f"{record.topic}#{record.partition}"


def to_row(record: KafkaRecord) -> LoaderRow:
    """A valid event as a raw row, or the record as a dead letter with the reason."""
    value = record.value or b""
    try:
        event = decode(record.topic, value)
    except EventDecodeError as exc:
        return DeadRow(
            record.topic,
            record.partition,
            record.offset,
            record.timestamp_ms,
            str(exc),
            value,
            int(time.time() * 1000),
        )
    return RawRow(
        record.topic,
        record.partition,
        record.offset,
        record.timestamp_ms,
        event.ts,  # type: ignore[union-attr]
        value,
    )


def validate_batch(records: list[KafkaRecord]) -> list[tuple[str, LoaderRow]]:
    return [(batch_key(record), to_row(record)) for record in records]


def build_flow(exit_when_idle_s: float | None = None, settings: Settings | None = None) -> Dataflow:
    settings = settings or get_settings()
    loader = settings.loader
    stop_on_signals(STOP)
    serve_metrics(loader.metrics_port)

    flow = Dataflow("backbeat_loader")
    records = op.input(
        "read_kafka",
        flow,
        KafkaTopicsSource(
            settings.kafka, LOADED_TOPICS, exit_when_idle_s=exit_when_idle_s, stop=STOP
        ),
    )
    # KafkaRecord
    rows = op.flat_map_batch("validate", records, validate_batch)
    # (topic#partition, RawRow | DeadRow)
    batches = micro_batch(
        "micro_batch", rows, loader.batch_max_rows, timedelta(seconds=loader.batch_max_seconds)
    )
    # (topic#partition, [RawRow | DeadRow])
    op.output("write_raw", batches, RawTablesSink(settings.kafka, settings.warehouse))
    return flow
