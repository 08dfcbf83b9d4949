"""Raw compaction: fewer files, the same rows, the same high-water marks, and readers that
never see a row twice or miss one while it runs."""

from __future__ import annotations

import fcntl
import threading
from collections import Counter
from datetime import date
from pathlib import Path

from backbeat.emit.sinks import DirectRawSink
from backbeat.events import encode
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.warehouse.duckdb.compaction import (
    LAST_TIER,
    RawCompactor,
    RawFile,
    plan_merges,
    tier,
)
from backbeat.warehouse.duckdb.folder_lock import folder_lock_path
from backbeat.warehouse.duckdb.raw_files import FILE_NAME, RawParquetWriter
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


def _tiers(root: Path, base: int, fanout: int) -> Counter[tuple[str, str, int]]:
    """Files per (folder, topic-partition, tier)."""
    found: Counter[tuple[str, str, int]] = Counter()
    for path in (root / "raw").glob("*/event_date=*/*.parquet"):
        match = FILE_NAME.match(path.name)
        assert match is not None
        group = f"{match['topic']}-p{match['partition']}"
        found[(path.parent.name, group, tier(path.stat().st_size, base, fanout))] += 1
    return found


def test_recent_dates_are_merged_in_tiers(tmp_path: Path) -> None:
    """A day still being written is not left to grow a file per micro-batch: its files are
    merged a tier at a time, and no tier keeps `fanout` files."""
    _load(tmp_path, days=2)
    before = _snapshot(tmp_path)
    files = len(list((tmp_path / "raw").rglob("*.parquet")))
    base, fanout = 4096, 4
    report = RawCompactor(tmp_path, min_age_days=5, fanout=fanout, base_bytes=base).run(TODAY)
    assert report.files_after < report.files_before
    assert len(list((tmp_path / "raw").rglob("*.parquet"))) < files
    assert max(_tiers(tmp_path, base, fanout).values()) < fanout
    assert _snapshot(tmp_path) == before


def test_plan_merges_takes_fanout_consecutive_files_of_one_tier() -> None:
    def files(*sizes: int) -> list[RawFile]:
        return [RawFile("t", 0, i * 10, i * 10 + 9, s, Path(f"{i}")) for i, s in enumerate(sizes)]

    small, mid = 100, 5_000  # tiers 0 and 1 with base 1,000 and fanout 3
    plan = plan_merges(files(small, small, small, small, mid, small), False, 3, 1_000)
    assert [[f.first for f in merge] for merge in plan] == [[0, 10, 20]]
    # A file of another tier breaks a run: the runs never overlap in offsets.
    assert plan_merges(files(small, small, mid, small), False, 3, 1_000) == []
    # An old day: everything below the last tier becomes one file; the last tier stays.
    huge = 1_000 * 3**LAST_TIER
    whole = plan_merges(files(small, huge, mid, small), True, 3, 1_000)
    assert [[f.first for f in merge] for merge in whole] == [[0, 20, 30]]
    assert plan_merges(files(huge, small), True, 3, 1_000) == []


def test_compaction_while_the_loader_writes_keeps_every_row_once(tmp_path: Path) -> None:
    """The loader writes on, readers read on, compaction runs again and again: readers never
    see a row twice, and at the end every row is there once, in few files."""
    reference = tmp_path / "reference"
    _load(reference, days=2)
    expected = _snapshot(reference)
    live = tmp_path / "live"
    (live / "raw").mkdir(parents=True)
    writing = threading.Thread(target=_load, args=(live, 2))
    failures: list[Exception] = []
    counts: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                rows = (
                    DuckDBWarehouse(live)
                    .query("SELECT COUNT(*), COUNT(DISTINCT _offset) FROM raw.page_view_events")
                    .rows[0]
                )
            except Exception as exc:  # reported below, not lost in the thread
                failures.append(exc)
                continue
            assert rows[0] == rows[1], f"a row seen twice: {rows}"
            counts.append(int(rows[0]))

    reader = threading.Thread(target=read)
    compactor = RawCompactor(live, min_age_days=30, fanout=4, base_bytes=4096)
    writing.start()
    reader.start()
    runs = merged = 0
    try:
        while writing.is_alive():
            merged += compactor.run(TODAY).files_before
            runs += 1
        writing.join()
        compactor.run(TODAY)
    finally:
        done.set()
        reader.join()
    assert failures == [] and runs > 1 and merged > 0
    assert counts == sorted(counts)  # rows only ever appear
    assert _snapshot(live) == expected
    assert max(_tiers(live, 4096, 4).values()) < 4


def test_the_loader_is_not_locked_out_while_files_merge(tmp_path: Path) -> None:
    """Merging takes seconds on a busy day; the loader may rename files in all along (the
    folder's lock is taken only to swap the merged files in)."""
    _load(tmp_path, days=1)
    free_during_merge: list[bool] = []

    class Watched(RawCompactor):
        def _merge(self, merges, folder, out):  # type: ignore[no-untyped-def]
            with folder_lock_path(folder).open("a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    fcntl.flock(handle, fcntl.LOCK_UN)
                    free_during_merge.append(True)
                except BlockingIOError:
                    free_during_merge.append(False)
            return super()._merge(merges, folder, out)

    Watched(tmp_path, min_age_days=0).run(TODAY)
    assert free_during_merge and all(free_during_merge)


def test_one_compaction_at_a_time(tmp_path: Path) -> None:
    _load(tmp_path, days=1)
    compactor = RawCompactor(tmp_path, min_age_days=0)
    with compactor._one_at_a_time() as alone:
        assert alone
        report = RawCompactor(tmp_path, min_age_days=0).run(TODAY)
    assert report.folders == 0 and "another compaction" in report.skipped[0]
    assert RawCompactor(tmp_path, min_age_days=0).run(TODAY).folders > 0


def test_what_a_killed_compaction_left_is_removed_by_the_next(tmp_path: Path) -> None:
    _load(tmp_path, days=1)
    left = tmp_path / ".compaction" / "staging" / "0123abcd" / "merged"
    left.mkdir(parents=True)
    (left / "half-written.parquet").write_bytes(b"PAR1")
    RawCompactor(tmp_path, min_age_days=0).run(TODAY)
    assert not left.parent.exists()
