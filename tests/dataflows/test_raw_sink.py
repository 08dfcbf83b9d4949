"""The loader's sink when the warehouse refuses what validation let through (#15): the one
record becomes a dead letter with the warehouse's reason and loading goes on; a warehouse
that refuses everything stops the loader with nothing written (a restart retries)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from backbeat.events import encode
from backbeat.events.schemas import ListenEvent
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import Settings
from backbeat.warehouse import open_warehouse
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.raw_writer import WriteResult
from backbeat.warehouse.rows import LoaderRow, RawRow
from dataflows.connectors.raw_sink import _RawTablesPartition
from tests.dataflows.processes import read_topic

JAN_1 = 1_704_067_200_000


class RefusingWriter(RawParquetWriter):
    """The real Parquet writer, with a fault validation did not foresee: it refuses the
    records at `refused` offsets (or all of them), as a warehouse bug or outage would."""

    def __init__(self, root: Path, refused: set[int] | None) -> None:
        super().__init__(root)
        self.refused = refused

    def write(self, rows: Sequence[LoaderRow], ingested_ms: int | None = None) -> WriteResult:
        if any(
            isinstance(r, RawRow) and (self.refused is None or r.offset in self.refused)
            for r in rows
        ):
            raise ValueError("Conversion Error: a value this warehouse cannot hold")
        return super().write(rows, ingested_ms)


def _plays(count: int) -> list[RawRow]:
    rows = []
    for offset in range(count):
        play = ListenEvent(
            artist="Björk", song=f"Song {offset}", duration=200.5, ts=JAN_1 + offset,
            session_id=1, auth="Logged In", level="paid", item_in_session=offset, user_id=7,
        )  # fmt: skip
        rows.append(RawRow("listen_events", 0, offset, JAN_1, play.ts, encode(play)))
    return rows


def _sink(settings: Settings, refused: set[int] | None) -> _RawTablesPartition:
    dead_letters = KafkaProducer(settings.kafka, patient=True)
    writer = RefusingWriter(settings.warehouse.dir, refused)
    return _RawTablesPartition(writer, dead_letters, time.time)


def test_a_record_the_warehouse_refuses_is_a_dead_letter_and_the_rest_land(
    fresh_kafka: Settings,
) -> None:
    sink = _sink(fresh_kafka, refused={2})
    sink.write_batch([("listen_events#0", _plays(5))])
    sink.close()
    warehouse = open_warehouse(fresh_kafka)
    stored = warehouse.query("SELECT _offset FROM raw.listen_events ORDER BY _offset").rows
    assert stored == [(0,), (1,), (3,), (4,)]
    ((offset, stage, error),) = warehouse.query(
        "SELECT _offset, stage, error FROM raw.dead_letter"
    ).rows
    assert (offset, stage) == (2, "loader")
    assert "the warehouse refused the record: ValueError: Conversion Error" in error
    assert len(read_topic(fresh_kafka, "dead_letter")) == 1


def test_a_warehouse_that_refuses_everything_stops_the_loader_with_nothing_written(
    fresh_kafka: Settings,
) -> None:
    sink = _sink(fresh_kafka, refused=None)
    with pytest.raises(ValueError, match="Conversion Error"):
        sink.write_batch([("listen_events#0", _plays(5))])
    counts = open_warehouse(fresh_kafka).raw_counts()
    assert (counts["listen_events"], counts["dead_letter"]) == (0, 0)  # a restart retries all
