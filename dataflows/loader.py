"""The loader dataflow: Kafka -> validated micro-batches -> raw tables (exactly once).

    python -m bytewax.run "dataflows.loader:build_flow()" -w 2 -r .backbeat/recovery/loader -s 5
    backbeat load            # the same, with recovery set up and settings applied

Records are validated with Backbeat's event schemas (backbeat/events/codec.py); anything
that fails goes to the `dead_letter` topic and table with the reason. The loader also reads
the `dead_letter` topic, so what other stages rejected (a replay's bad lines) lands in the
same table: one place to look for every rejection. Valid records are grouped per Kafka
topic-partition into micro-batches, written when a batch reaches `batch_max_rows` rows or
`batch_max_seconds` after its first row, whichever comes first (dataflows/micro_batch.py).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import bytewax.operators as op
from bytewax.dataflow import Dataflow

from backbeat.events.codec import (
    EventDecodeError,
    RecordDecoder,
    printable,
)
from backbeat.events.schemas import MAX_EPOCH_MS
from backbeat.kafka.dead_letter import DEAD_LETTER_TOPIC, LOADER_STAGE, DeadLetter, parse_headers
from backbeat.kafka.topics import LOADER_TOPICS
from backbeat.settings import Settings, get_settings
from backbeat.warehouse import open_backend
from backbeat.warehouse.rows import DeadRow, LoaderRow, RawRow
from dataflows.connectors.kafka_source import KafkaRecord, KafkaTopicsSource
from dataflows.connectors.raw_sink import RawTablesSink
from dataflows.launch import RecoveryInUse, hold_recovery_lock, refuse
from dataflows.lifecycle import relax_garbage_collection, serve_metrics, stop_on_signals
from dataflows.micro_batch import MicroBatchState, micro_batch

#: Set on SIGTERM/SIGINT: sources end, open batches are flushed, the dataflow exits.
STOP = threading.Event()


def batch_key(record: KafkaRecord) -> str:
    """Micro-batches are per Kafka topic-partition, which keeps each one in offset order."""
    return f"{record.topic}#{record.partition}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _failed_ms(letter_headers: dict[str, str], fallback_ms: int) -> int:
    try:
        moment = datetime.fromisoformat(letter_headers["bb.failed_at"])
        failed = int(moment.timestamp() * 1000)
    except (KeyError, ValueError, OverflowError):
        return fallback_ms
    return failed if 0 <= failed <= MAX_EPOCH_MS else fallback_ms


def letter_row(record: KafkaRecord) -> DeadRow | None:
    """A letter another stage sent to `dead_letter`, as a row of `raw.dead_letter`; None
    for the loader's own letters, which it wrote there when it rejected the record."""
    fields = parse_headers(record.headers)
    letter = DeadLetter.from_record(record.value, fields)
    if letter.stage == LOADER_STAGE:
        return None
    stamp = record.timestamp_ms if record.timestamp_ms >= 0 else _now_ms()
    return DeadRow(
        record.topic,
        record.partition,
        record.offset,
        record.timestamp_ms,
        printable(letter.error),
        letter.original,
        _failed_ms(fields, stamp),
        stage=printable(letter.stage),
        source_topic=letter.source_topic,
        source_partition=letter.source_partition,
        source_offset=letter.source_offset,
        source_file=letter.source_file,
        source_line=letter.source_line,
    )


def to_row(record: KafkaRecord, decoder: RecordDecoder) -> LoaderRow | None:
    """A valid event as a raw row (its canonical bytes: what was validated is what is
    stored), or the record as a dead letter with the reason."""
    if record.topic == DEAD_LETTER_TOPIC:
        return letter_row(record)
    value = record.value or b""
    try:
        event, stored = decoder.decode_canonical(record.topic, value)
    except EventDecodeError as exc:
        return DeadRow.rejected(
            record.topic,
            record.partition,
            record.offset,
            record.timestamp_ms,
            str(exc),
            value,
            _now_ms(),
        )
    return RawRow(
        record.topic,
        record.partition,
        record.offset,
        record.timestamp_ms,
        event.ts,
        stored,
    )


def validate_batch(
    records: list[KafkaRecord], decoder: RecordDecoder
) -> list[tuple[str, LoaderRow]]:
    rows = []
    for record in records:
        row = to_row(record, decoder)
        if row is not None:
            rows.append((batch_key(record), row))
    return rows


class ResumeCheck:
    """Refuses to resume when the warehouse lacks rows the recovery state says were written.

    Each micro-batch key (a Kafka topic-partition) remembers the last row it passed to the
    writer; a restart restores that. If the warehouse was deleted, or an older copy put
    back, while the recovery folder stayed, the loader would resume after rows that are no
    longer stored: a silent, permanent gap. Instead it stops, says what is missing, and how
    to reload it from Kafka.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._stored: dict[tuple[str, int], int] | None = None

    def _stored_offsets(self) -> dict[tuple[str, int], int]:
        if self._stored is None:  # read once, and only when resuming
            writer = open_backend(self._settings).raw_writer()
            try:
                self._stored = writer.stored_offsets()
            finally:
                writer.close()
        return self._stored

    def refusal(self, state: MicroBatchState[LoaderRow]) -> str | None:
        """Why the loader must not resume this key, or None."""
        last = state.emitted
        if last is None:
            return None
        stored = self._stored_offsets().get((last.topic, last.partition), -1)
        if stored >= last.offset:
            return None
        settings = self._settings
        return (
            f"the warehouse ({open_backend(settings).location()}) holds {last.topic} "
            f"partition {last.partition} up to offset {stored}, but the loader's recovery "
            f"state ({settings.loader.recovery_dir}) says it wrote up to offset {last.offset}: "
            f"{last.offset - stored:,} or more records are missing from raw (was the "
            "warehouse deleted or restored from an older copy?). Loading on would leave "
            "that gap for good, so the loader stops. To load again what Kafka still holds "
            "(rows already in raw are skipped, nothing is doubled): backbeat load --reload"
        )

    def __call__(self, state: MicroBatchState[LoaderRow]) -> None:
        refusal = self.refusal(state)
        if refusal is not None:
            refuse(f"the loader refuses to resume: {refusal}")


def build_flow(exit_when_idle_s: float | None = None, settings: Settings | None = None) -> Dataflow:
    settings = settings or get_settings()
    loader = settings.loader
    try:
        hold_recovery_lock(loader.recovery_dir, "loader")
    except RecoveryInUse as exc:
        refuse(f"the loader refuses to start: {exc}")
    stop_on_signals(STOP)
    serve_metrics(loader.metrics_port)
    relax_garbage_collection()

    flow = Dataflow("backbeat_loader")
    records = op.input(
        "read_kafka",
        flow,
        KafkaTopicsSource(
            settings.kafka,
            LOADER_TOPICS,
            exit_when_idle_s=exit_when_idle_s,
            stop=STOP,
            on_data_loss=refuse,
        ),
    )
    # KafkaRecord
    decoder = RecordDecoder.from_settings(settings.events)
    rows = op.flat_map_batch("validate", records, lambda batch: validate_batch(batch, decoder))
    # (topic#partition, RawRow | DeadRow)
    batches = micro_batch(
        "micro_batch",
        rows,
        loader.batch_max_rows,
        timedelta(seconds=loader.batch_max_seconds),
        on_resume=ResumeCheck(settings),
    )
    # (topic#partition, [RawRow | DeadRow])
    op.output("write_raw", batches, RawTablesSink(settings))
    return flow
