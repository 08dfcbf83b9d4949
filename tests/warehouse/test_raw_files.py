from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from backbeat.events import encode
from backbeat.events.schemas import ListenEvent, PageViewEvent
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from backbeat.warehouse.rows import DAY_MS, DeadRow, RawRow

JAN_1 = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def _view(offset: int, ts: int, partition: int = 0) -> RawRow:
    event = PageViewEvent(
        ts=ts,
        session_id=7,
        page="Home",
        auth="Guest",
        method="GET",
        status=200,
        level="free",
        item_in_session=offset,
        zip="07836",
    )
    return RawRow("page_view_events", partition, offset, ts + 40, ts, encode(event))


def _files(root: Path, table: str) -> str:
    return f"read_parquet('{root}/raw/{table}/*/*.parquet', hive_partitioning = true)"


def _read(root: Path, table: str, order: str = "_offset") -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM {_files(root, table)} ORDER BY {order}").fetchall()


def test_rows_land_typed_with_coordinates(tmp_path: Path) -> None:
    writer = RawParquetWriter(tmp_path)
    result = writer.write([_view(0, JAN_1), _view(1, JAN_1 + 1000)], ingested_ms=JAN_1 + 5000)
    assert (result.written, result.skipped, result.writes) == (2, 0, 1)
    columns = duckdb.sql(
        f"DESCRIBE SELECT * FROM {_files(tmp_path, 'page_view_events')}"
    ).fetchall()
    types = {name: kind for name, kind, *_ in columns}
    assert types["ts"] == "TIMESTAMP" and types["zip"] == "VARCHAR" and types["_offset"] == "BIGINT"
    rows = duckdb.sql(
        f"SELECT zip, ts, _topic, _partition, _offset, _kafka_ts, _ingested_at, event_date "
        f"FROM {_files(tmp_path, 'page_view_events')} ORDER BY _offset"
    ).fetchall()
    assert rows[0][0] == "07836"  # leading zero kept
    assert [r[2:5] for r in rows] == [("page_view_events", 0, 0), ("page_view_events", 0, 1)]
    assert (
        str(rows[0][1]) == "2024-01-01 00:00:00" and str(rows[0][5]) == "2024-01-01 00:00:00.040000"
    )
    assert str(rows[0][6]) == "2024-01-01 00:00:05" and str(rows[0][7]) == "2024-01-01"


def test_a_batch_is_split_by_event_date(tmp_path: Path) -> None:
    writer = RawParquetWriter(tmp_path)
    writer.write([_view(0, JAN_1 - 1000), _view(1, JAN_1 + 1000)])
    folders = sorted(
        p.name for p in (tmp_path / "raw" / "page_view_events").iterdir() if p.is_dir()
    )
    assert folders == ["event_date=2023-12-31", "event_date=2024-01-01"]
    assert sorted(p.name for p in (tmp_path / "raw" / "page_view_events").rglob("*.parquet")) == [
        "page_view_events-p0-000000000000-000000000000.parquet",
        "page_view_events-p0-000000000001-000000000001.parquet",
    ]


def test_writing_again_after_a_restart_skips_what_is_on_disk(tmp_path: Path) -> None:
    first = RawParquetWriter(tmp_path)
    first.write([_view(i, JAN_1 + i) for i in range(10)])
    first.close()
    again = RawParquetWriter(tmp_path)  # a restarted loader reads the marks from file names
    assert again.high_water_mark("page_view_events", "page_view_events", 0, JAN_1 // DAY_MS) == 9
    replay = [_view(i, JAN_1 + i) for i in range(5, 15)]  # Bytewax resumes from an older snapshot
    assert again.unwritten(replay) == replay[5:]
    result = again.write(replay)
    assert (result.written, result.skipped) == (5, 5)
    offsets = duckdb.sql(
        f"SELECT _offset FROM {_files(tmp_path, 'page_view_events')} ORDER BY 1"
    ).fetchall()
    assert [o for (o,) in offsets] == list(range(15))


def test_partitions_and_dates_have_their_own_marks(tmp_path: Path) -> None:
    writer = RawParquetWriter(tmp_path)
    writer.write([_view(100, JAN_1, partition=1)])
    # A late event for the previous day, at a higher offset, and another partition's offset 5.
    result = writer.write([_view(101, JAN_1 - DAY_MS, partition=1), _view(5, JAN_1, partition=2)])
    assert result.written == 2


def test_dead_letters_keep_their_bytes_and_reason(tmp_path: Path) -> None:
    writer = RawParquetWriter(tmp_path)
    writer.write(
        [DeadRow.rejected("listen_events", 3, 42, JAN_1, "not JSON: bad", b"\xff{oops", JAN_1 + 9)]
    )
    (row,) = _read(tmp_path, "dead_letter", order="source_offset")
    assert row[:8] == ("listen_events", 3, 42, None, None, "loader", "not JSON: bad", b"\xff{oops")
    assert row[9:12] == ("listen_events", 3, 42)  # where the loader read it: the key
    assert (
        writer.write(
            [DeadRow.rejected("listen_events", 3, 42, JAN_1, "again", b"x", JAN_1 + 9)]
        ).skipped
        == 1
    )


def test_no_half_written_file_is_ever_visible(tmp_path: Path) -> None:
    writer = RawParquetWriter(tmp_path)
    listen = ListenEvent(
        artist="A",
        song="B",
        duration=1.5,
        ts=JAN_1,
        session_id=1,
        auth="Logged In",
        level="paid",
        item_in_session=0,
    )
    writer.write([RawRow("listen_events", 0, 0, JAN_1, JAN_1, encode(listen))])
    # Staging lives outside every table's folder, so table globs never match it.
    assert (tmp_path / "raw" / ".staging").is_dir()
    assert not list((tmp_path / "raw" / "listen_events").rglob(".*"))


def test_invalid_json_never_reaches_the_writer_silently(tmp_path: Path) -> None:
    writer = RawParquetWriter(tmp_path)
    with pytest.raises(duckdb.Error):
        writer.write([RawRow("page_view_events", 0, 0, JAN_1, JAN_1, b"{not json")])


def test_rows_written_without_kafka_keep_their_marks(tmp_path: Path) -> None:
    """DirectRawSink writes partition -1; a second writer must see what the first wrote."""
    from backbeat.emit.sinks import DirectRawSink

    values = [
        b'{"ts":1704067200000,"sessionId":1,"page":"Home","auth":"Guest","method":"GET",'
        b'"status":200,"level":"free","itemInSession":%d}' % i
        for i in range(5)
    ]
    for _ in range(2):
        sink = DirectRawSink(RawParquetWriter(tmp_path))
        for value in values:
            sink.write("page_view_events", None, value)
        sink.close()
    writer = RawParquetWriter(tmp_path)
    assert writer.latest_offset("page_view_events", -1) == 9
    rows = (
        DuckDBWarehouse(tmp_path)
        .query("SELECT COUNT(*), COUNT(DISTINCT _offset) FROM raw.page_view_events")
        .rows
    )
    assert rows == [(10, 10)]


def test_a_staging_file_a_killed_writer_left_is_removed_at_start(tmp_path: Path) -> None:
    import os

    staging = tmp_path / "raw" / ".staging"
    staging.mkdir(parents=True)
    abandoned, in_flight = staging / "abandoned.parquet", staging / "in-flight.parquet"
    abandoned.write_bytes(b"")  # what kill -9 between open and rename leaves
    in_flight.write_bytes(b"")  # another worker's file, being written now
    an_hour_ago = time.time() - 3600
    os.utime(abandoned, (an_hour_ago, an_hour_ago))
    RawParquetWriter(tmp_path).close()
    assert not abandoned.exists() and in_flight.exists()
