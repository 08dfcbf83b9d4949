"""marts.pipeline_freshness: event -> raw and event -> mart lags per minute of loading, from the
rows and the build log, with backlog kept out of the live percentiles; and the files that
frequent builds leave are folded and merged without losing a row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backbeat.emit.sinks import DirectRawSink
from backbeat.events import encode
from backbeat.warehouse.build import WarehouseBuild
from backbeat.warehouse.duckdb import build_log, model_compaction
from backbeat.warehouse.duckdb.build_log import LOG_FOLDER
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from tests.events.plays import a_play
from tests.warehouse.conftest import duckdb_build

NOON = datetime(2024, 1, 1, 12, tzinfo=UTC)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _play(ts: datetime, session: int) -> bytes:
    return encode(a_play(_ms(ts), session_id=session, user_id=7))


def _load(root: Path, ingested: datetime, events: list[datetime]) -> None:
    sink = DirectRawSink(RawParquetWriter(root), ingested_ms=_ms(ingested))
    for n, ts in enumerate(events):
        sink.write("listen_events", None, _play(ts, session=n + 1))
    sink.close()


def _build(root: Path, began: datetime, finished: datetime) -> None:
    build = duckdb_build(root)
    times: Iterator[datetime] = iter([began, finished])
    timed = WarehouseBuild(
        build.store, build.models, build.overlap, build.royalty_pool, clock=lambda: next(times)
    )
    timed.run()


def _freshness(root: Path) -> list[tuple[object, ...]]:
    return (
        DuckDBWarehouse(root)
        .query(
            "SELECT minute, events, backlog_events, event_to_raw_p50_s, event_to_mart_p50_s, "
            "lag_max_s FROM marts.pipeline_freshness ORDER BY minute"
        )
        .rows
    )


def test_each_minute_gets_its_event_to_mart_lag_once_a_later_build_covers_it(
    tmp_path: Path,
) -> None:
    # Minute 12:00: two live plays loaded 2 s after their event, built at 12:00:20.
    _load(tmp_path, NOON + timedelta(seconds=12), [NOON + timedelta(seconds=10)] * 2)
    _build(tmp_path, NOON + timedelta(seconds=15), NOON + timedelta(seconds=20))
    assert _freshness(tmp_path) == []  # 12:00 may still gain rows: not added yet

    # Minute 12:01: one live play (4 s to raw) and one from a day ago (backlog).
    _load(
        tmp_path,
        NOON + timedelta(seconds=74),
        [NOON + timedelta(seconds=70), NOON - timedelta(days=1)],
    )
    _build(tmp_path, NOON + timedelta(seconds=80), NOON + timedelta(seconds=95))
    assert _freshness(tmp_path) == []  # no finished build began 15 s after 12:00 ended

    # A minute is added by the build after one that began 15 s after the minute ended: now
    # 12:00 (the second build began at 12:01:20), not yet 12:01.
    _build(tmp_path, NOON + timedelta(minutes=3), NOON + timedelta(minutes=3, seconds=2))
    assert [row[0].astimezone(UTC) for row in _freshness(tmp_path)] == [NOON]  # type: ignore[attr-defined]
    _build(tmp_path, NOON + timedelta(minutes=4), NOON + timedelta(minutes=4, seconds=2))
    rows = _freshness(tmp_path)
    minutes = [row[0].astimezone(UTC) for row in rows]  # type: ignore[attr-defined]
    assert minutes == [NOON, NOON + timedelta(minutes=1)]
    first, second = rows
    # 12:00: event at :10, raw at :12, in the marts when the first build ended at :20.
    assert first[1:5] == (2, 0, 2.0, 10.0)
    # 12:01: the live play reached raw 4 s after its event and the marts when the second
    # build ended (12:01:35), 25 s after it; the day-old play counts as backlog only.
    assert second[1:5] == (2, 1, 4.0, 25.0)
    assert second[5] == 86_400 + 74  # lag_max_s still covers every row

    # A build with nothing new adds no minute twice.
    _build(tmp_path, NOON + timedelta(minutes=5), NOON + timedelta(minutes=5, seconds=1))
    assert len(_freshness(tmp_path)) == 2


def test_frequent_builds_fold_their_records_and_merge_small_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The thresholds lowered, so a dozen builds do what hundreds do at the shipped ones.
    monkeypatch.setattr(build_log, "FOLD_AT", 5)
    monkeypatch.setattr(model_compaction, "MERGE_AT", 4)
    builds = 13
    for n in range(builds):
        at = NOON + timedelta(seconds=10 * n)
        _load(tmp_path, at + timedelta(seconds=1), [at])
        _build(tmp_path, at + timedelta(seconds=2), at + timedelta(seconds=3))
    warehouse = DuckDBWarehouse(tmp_path)
    plays = tmp_path / "vault" / "t_link_play"
    assert len(list(plays.glob("*.parquet"))) < 4  # 13 files, merged each time 4 are small
    (count,) = warehouse.query("SELECT COUNT(*) FROM vault.t_link_play").rows[0]
    assert count == builds  # merged, none lost or doubled
    assert len(list((tmp_path / "builds").glob("*.json"))) < 5
    assert any((tmp_path / "builds" / LOG_FOLDER).glob("*.parquet"))
    logged = warehouse.query("SELECT COUNT(*), COUNT(DISTINCT build_id) FROM vault.build_log")
    assert logged.rows[0] == (builds, builds)
    (song_plays,) = warehouse.query("SELECT COUNT(*) FROM marts.song_plays").rows[0]
    assert song_plays == builds
