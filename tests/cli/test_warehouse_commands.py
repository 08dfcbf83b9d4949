"""`backbeat sql` and `backbeat config show` as a person runs them (no services needed)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from backbeat.events import encode
from backbeat.events.schemas import ListenEvent
from backbeat.kafka.topics import EVENT_TOPICS
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.rows import RawRow
from tests.cli.conftest import Run

JAN_1 = 1_704_067_200_000


def _warehouse(tmp_path: Path) -> dict[str, str]:
    listens = [
        ListenEvent(
            artist="Björk",
            song=f"Song {i}",
            duration=200.5,
            ts=JAN_1 + i,
            session_id=1,
            auth="Logged In",
            level="paid",
            item_in_session=i,
            user_id=7,
        )
        for i in range(3)
    ]
    RawParquetWriter(tmp_path).write(
        [RawRow("listen_events", 0, i, JAN_1, e.ts, encode(e)) for i, e in enumerate(listens)]
    )
    return {"BACKBEAT_WAREHOUSE_DIR": str(tmp_path)}


def test_sql_prints_json_rows(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(
        "sql",
        "SELECT artist, COUNT(*) AS plays, SUM(duration) AS seconds "
        "FROM raw.listen_events GROUP BY artist",
        "--json",
        env=_warehouse(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"artist": "Björk", "plays": 3, "seconds": 601.5}]


def test_sql_prints_a_table(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(
        "sql", "SELECT song FROM raw.listen_events ORDER BY song", env=_warehouse(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "Song 0" in result.stdout and "Song 2" in result.stdout
    assert "3 rows" in result.stderr


def test_sql_errors_are_one_line(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("sql", "SELECT * FROM raw.plays", env=_warehouse(tmp_path))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "does not exist" in result.stderr


def test_config_show_masks_secrets(run_cli: Run) -> None:
    env = {
        "BACKBEAT_REDIS_PASSWORD": "hunter2",
        "BACKBEAT_KAFKA_CLIENT_PROPERTIES": '{"sasl.password": "pw"}',
    }
    result = run_cli("config", "show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["BACKBEAT_REDIS_PASSWORD"] == "**********"
    assert "hunter2" not in result.stdout and '"pw"' not in result.stdout
    assert shown["BACKBEAT_KAFKA_TOPIC_PARTITIONS"] == "4"


def test_freshness_reports_lags_per_topic(run_cli: Run, tmp_path: Path) -> None:
    now_ms = int(time.time() * 1000)
    listen = ListenEvent(
        artist="A",
        song="S",
        duration=1.0,
        ts=now_ms - 5_000,
        session_id=1,
        auth="Logged In",
        level="free",
        item_in_session=0,
    )
    RawParquetWriter(tmp_path).write(
        [
            RawRow("listen_events", 0, i, now_ms - 2_000, listen.ts, encode(listen))
            for i in range(4)
        ],
        ingested_ms=now_ms,
    )
    result = run_cli("freshness", "--json", env={"BACKBEAT_WAREHOUSE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    rows = {row["table"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {f"raw.{t}" for t in EVENT_TOPICS}
    listens = rows["raw.listen_events"]
    assert listens["rows"] == 4
    assert listens["produce_to_raw_p50_s"] == listens["produce_to_raw_max_s"] == 2.0
    assert listens["event_to_raw_p95_s"] == 5.0
    assert rows["raw.auth_events"]["rows"] == 0
    assert run_cli("freshness", "--since", "0").returncode == 2  # a usage error, not a crash


def test_compact_merges_old_raw_files(run_cli: Run, tmp_path: Path) -> None:
    writer = RawParquetWriter(tmp_path)
    for offset in range(3):  # three files of one partition and day
        listen = ListenEvent(
            artist="A",
            song="S",
            duration=1.0,
            ts=JAN_1 + offset,
            session_id=1,
            auth="Logged In",
            level="free",
            item_in_session=offset,
        )
        writer.write([RawRow("listen_events", 0, offset, JAN_1, listen.ts, encode(listen))])
    result = run_cli(
        "compact", "--min-age-days", "0", env={"BACKBEAT_WAREHOUSE_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    assert "3 files -> 1" in result.stdout
    assert len(list((tmp_path / "raw").rglob("*.parquet"))) == 1


def test_a_quote_in_the_warehouse_path_breaks_nothing(run_cli: Run, tmp_path: Path) -> None:
    env = _warehouse(tmp_path / "it's a warehouse")  # written through the raw writer's COPY
    built = run_cli("build", env=env)
    assert built.returncode == 0, built.stderr
    plays = run_cli("sql", "SELECT COUNT(*) AS n FROM marts.song_plays", "--json", env=env)
    assert plays.returncode == 0, plays.stderr
    assert json.loads(plays.stdout) == [{"n": 3}]
