"""Raw compaction: fewer files, the same rows, the same high-water marks, and readers that
never see a row twice or miss one while it runs."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from backbeat.emit.sinks import DirectRawSink
from backbeat.events import encode
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.warehouse.duckdb.compaction import RawCompactor
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse

MONDAY = 1_704_067_200_000
TODAY = date(2024, 1, 10)


def _load(root: Path, days: int = 3) -> None:
    params = SimulationParams(
        start_ms=MONDAY, end_ms=MONDAY + days * 86_400_000, n_users=60, seed=2
    )
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=200, catalogue_seed=2))
    sink = DirectRawSink(RawParquetWriter(root), batch_rows=300)  # many small files
    for event in simulator.events():
        sink.write(event.topic, event.key, encode(event.record))
    sink.close()


def _snapshot(root: Path) -> list[tuple[object, ...]]:
    return (
        DuckDBWarehouse(root)
        .query(
            "SELECT _topic, _partition, _offset, ts, sessionId, page FROM raw.page_view_events "
            "ORDER BY _offset"
        )
        .rows
    )


def test_compaction_keeps_every_row_and_the_marks(tmp_path: Path) -> None:
    _load(tmp_path)
    files_before = len(list((tmp_path / "raw").rglob("*.parquet")))
    before = _snapshot(tmp_path)
    counts = DuckDBWarehouse(tmp_path).raw_counts()
    mark = RawParquetWriter(tmp_path).latest_offset("page_view_events", -1)

    report = RawCompactor(tmp_path).run(today=TODAY)
    assert report.folders > 0 and report.files_after < report.files_before
    after = list((tmp_path / "raw").rglob("*.parquet"))
    assert len(after) == len({p.parent for p in after}) < files_before  # one file per folder
    assert _snapshot(tmp_path) == before
    assert DuckDBWarehouse(tmp_path).raw_counts() == counts
    assert RawParquetWriter(tmp_path).latest_offset("page_view_events", -1) == mark
    again = RawCompactor(tmp_path).run(today=TODAY)
    assert again.folders == 0  # nothing left to merge

    _load(tmp_path, days=1)  # more rows after compaction continue the offsets
    rows = (
        DuckDBWarehouse(tmp_path)
        .query("SELECT COUNT(*), COUNT(DISTINCT _offset) FROM raw.page_view_events")
        .rows
    )
    assert rows[0][0] == rows[0][1] > len(before)


def test_readers_see_the_same_rows_while_compaction_runs(tmp_path: Path) -> None:
    _load(tmp_path)
    expected = DuckDBWarehouse(tmp_path).raw_counts()
    seen: list[dict[str, int]] = []
    failures: list[Exception] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                seen.append(DuckDBWarehouse(tmp_path).raw_counts())
            except Exception as exc:  # reported below, not lost in the thread
                failures.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        RawCompactor(tmp_path).run(today=TODAY)
    finally:
        done.set()
        reader.join()
    assert failures == []
    assert len(seen) >= 2
    assert all(counts == expected for counts in seen)


def test_recent_dates_are_left_alone(tmp_path: Path) -> None:
    _load(tmp_path, days=2)

    def files(day: str) -> set[Path]:
        return set((tmp_path / "raw").glob(f"*/event_date={day}/*.parquet"))

    recent = files("2024-01-02")
    assert len(files("2024-01-01")) > 4
    RawCompactor(tmp_path, min_age_days=1).run(today=date(2024, 1, 2))
    assert files("2024-01-02") == recent
    assert len(files("2024-01-01")) == 4  # one per topic
