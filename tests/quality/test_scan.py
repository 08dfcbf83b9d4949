"""The contracts on a real warehouse (DuckDB): real eventsim data passes every check, and
each kind of defect, planted in a copy of it, fails exactly the check that watches for it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from backbeat.emit.runs import run_replay
from backbeat.emit.sinks import DirectRawSink
from backbeat.quality.report import markdown_report
from backbeat.quality.runner import scan_warehouse
from backbeat.quality.scan import UNVERIFIED_CHECK, QualityScan
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.warehouse import open_build
from backbeat.warehouse.duckdb.quality import DuckDBQualityTarget
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from backbeat.warehouse.models.spec import default_models
from backbeat.warehouse.raw_schema import RAW_TABLES


def settings_for(root: Path) -> Settings:
    return with_overrides(get_settings(), warehouse={"backend": "duckdb", "dir": root})


@pytest.fixture(scope="module")
def sparkify_warehouse(tmp_path_factory: pytest.TempPathFactory, eventsim_real: Path) -> Path:
    """Real eventsim output (Sparkify's 30 days of logs) loaded into raw and built."""
    root = tmp_path_factory.mktemp("sparkify")
    run_replay([eventsim_real / "sparkify_dend_log_data"], DirectRawSink(RawParquetWriter(root)))
    open_build(settings_for(root)).run()
    return root


@pytest.fixture
def warehouse(sparkify_warehouse: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the built warehouse for one test to spoil."""
    root = tmp_path / "warehouse"
    shutil.copytree(sparkify_warehouse, root, ignore=shutil.ignore_patterns("quality"))
    yield root


def plant(root: Path, folder: str, select: str) -> None:
    """Write what `select` returns (over the warehouse's views) as one more Parquet file of
    `folder` (e.g. `raw/listen_events/event_date=2018-11-05`), beside the real ones."""
    connection = DuckDBWarehouse(root).connect()
    target = root / folder / "planted.parquet"
    connection.execute(f"COPY ({select}) TO '{target}' (FORMAT parquet)")
    connection.close()


def every_table() -> set[str]:
    """What a scan covers: every raw table and every stored model."""
    return {f"raw.{t}" for t in RAW_TABLES} | {n for n, m in default_models().items() if m.stored}


def failed(scan: QualityScan) -> set[str]:
    return {r.label for r in scan.failed}


def test_real_eventsim_data_passes_every_contract(warehouse: Path) -> None:
    scan = scan_warehouse(settings_for(warehouse))
    assert scan.failed == [], markdown_report(scan)
    contracts = {r.contract for r in scan.results}
    assert {"raw.listen_events", "vault.t_link_play", "marts.song_plays"} <= contracts
    assert contracts == every_table()  # every raw table and every stored model
    kinds = {r.check_type for r in scan.results}
    assert {
        "schema",
        "row_count",
        "missing",
        "invalid",
        "duplicate",
        "freshness",
        "metric",
    } <= kinds
    reconciled = next(r for r in scan.results if r.check == "plays reconcile with raw listens")
    assert reconciled.value == 0


def test_simulated_data_passes_every_contract(tmp_path: Path) -> None:
    from backbeat.events.codec import encode
    from backbeat.simulator.engine import SimulationParams

    start = 1_790_000_000_000
    params = SimulationParams(start_ms=start, end_ms=start + 2 * 86_400_000, n_users=200, seed=4)
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=500, catalogue_seed=4))
    sink = DirectRawSink(RawParquetWriter(tmp_path))
    for event in simulator.events():
        sink.write(event.topic, event.key, encode(event.record))
    sink.close()
    open_build(settings_for(tmp_path)).run()
    scan = scan_warehouse(settings_for(tmp_path))
    assert scan.failed == [], markdown_report(scan)
    assert len(scan.results) > 150


def test_duplicate_kafka_offsets_fail_the_raw_key_check(warehouse: Path) -> None:
    plant(
        warehouse,
        "raw/page_view_events/event_date=2018-11-15",
        """SELECT * EXCLUDE (event_date) FROM raw.page_view_events
           WHERE event_date = '2018-11-15' LIMIT 3""",
    )
    scan = scan_warehouse(settings_for(warehouse))
    assert failed(scan) == {"raw.page_view_events: duplicate (key is unique)"}
    (duplicates,) = scan.failed
    assert duplicates.value == 3


def test_a_logged_in_event_without_a_user_fails_its_missing_check(warehouse: Path) -> None:
    plant(
        warehouse,
        "raw/page_view_events/event_date=2018-11-15",
        """SELECT * EXCLUDE (event_date) REPLACE (NULL AS userId, 10_000_000 AS _offset)
           FROM raw.page_view_events WHERE auth = 'Logged In' LIMIT 1""",
    )
    scan = scan_warehouse(settings_for(warehouse))
    assert failed(scan) == {
        "raw.page_view_events.userId: missing (logged-in events name their user)"
    }
    report = markdown_report(scan)
    assert "logged-in events name their user" in report and "**failed**: 1 checks" in report


def test_a_negative_duration_fails_the_duration_check(warehouse: Path) -> None:
    plant(
        warehouse,
        "raw/listen_events/event_date=2018-11-15",
        """SELECT * EXCLUDE (event_date) REPLACE (-12.5 AS duration, 10_000_000 AS _offset)
           FROM raw.listen_events LIMIT 1""",
    )
    scan = scan_warehouse(settings_for(warehouse))
    assert failed(scan) == {"raw.listen_events: failed_rows (durations are positive)"}


def test_data_loaded_longer_ago_than_the_sla_fails_freshness(warehouse: Path) -> None:
    # The loader stopped three hours ago: every page view was loaded before that.
    views = warehouse / "raw" / "page_view_events"
    stale = warehouse / "stale.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"""COPY (SELECT * REPLACE (_ingested_at - INTERVAL 3 HOUR AS _ingested_at)
                FROM read_parquet('{views}/*/*.parquet', hive_partitioning = false))
                TO '{stale}' (FORMAT parquet)"""
        )
    for day in views.glob("event_date=*"):
        if day.is_dir():
            for file in day.glob("*.parquet"):
                file.unlink()
    shutil.move(stale, views / "event_date=2018-11-01" / "stale.parquet")
    scan = scan_warehouse(settings_for(warehouse))
    assert failed(scan) == {"raw.page_view_events: freshness (loaded within the loader's SLA)"}
    (freshness,) = scan.failed
    assert freshness.value is not None and freshness.value >= 180


def test_a_link_key_missing_from_its_hub_fails_the_reference_check(warehouse: Path) -> None:
    plant(
        warehouse,
        "vault/t_link_play",
        f"""SELECT * REPLACE ('{"f" * 32}' AS user_hk, MD5(play_hk || 'planted') AS play_hk)
            FROM vault.t_link_play LIMIT 2""",
    )
    scan = scan_warehouse(settings_for(warehouse))
    assert failed(scan) == {"vault.t_link_play.user_hk: invalid (user_hk is in vault/hub_user)"}
    (dangling,) = scan.failed
    assert dangling.value == 2


def test_a_missing_table_is_a_failure_not_an_error(warehouse: Path) -> None:
    settings = settings_for(warehouse)
    target = DuckDBQualityTarget(DuckDBWarehouse(warehouse))
    target.connection.execute("DROP VIEW marts.sessions")
    scan = scan_warehouse(settings, ["marts"], target=target)
    target.close()
    assert failed(scan) == {f"marts.sessions: contract ({UNVERIFIED_CHECK})"}
    (missing,) = scan.failed
    assert missing.outcome == "failed" and missing.message


def test_results_keep_the_history_of_every_scan(warehouse: Path) -> None:
    settings = settings_for(warehouse)
    scans = [scan_warehouse(settings, ["raw"]) for _ in range(3)]
    rows = (
        DuckDBWarehouse(warehouse)
        .query(
            """SELECT run_id, COUNT(*), COUNTIF(outcome = 'passed'), MIN(checked_at)
           FROM quality.results GROUP BY run_id ORDER BY MIN(checked_at)"""
        )
        .rows
    )
    assert [r[0] for r in rows] == [s.run_id for s in scans]
    assert all(r[1] == len(scans[0].results) == r[2] for r in rows)


def test_backbeat_quality_exits_1_naming_the_failed_check(warehouse: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "BACKBEAT_WAREHOUSE_DIR": str(warehouse), "COLUMNS": "200"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "backbeat", "quality", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    clean = run("--layer", "marts")
    assert clean.returncode == 0, clean.stderr
    assert "passed); in quality.results" in clean.stderr
    assert run("--validate-only").returncode == 0
    plant(
        warehouse,
        "raw/listen_events/event_date=2018-11-15",
        """SELECT * EXCLUDE (event_date) REPLACE (0.0 AS duration, 10_000_000 AS _offset)
           FROM raw.listen_events LIMIT 1""",
    )
    spoiled = run("--layer", "raw")
    assert spoiled.returncode == 1
    assert "raw.listen_events: failed_rows (durations are positive)" in spoiled.stdout
    as_json = run("--layer", "raw", "--json")
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert not report["ok"]
    assert [r["label"] for r in report["results"] if r["outcome"] == "failed"] == [
        "raw.listen_events: failed_rows (durations are positive)"
    ]
    wrong = run("--layer", "gold")
    assert wrong.returncode == 1 and "no layer 'gold'" in wrong.stderr


def test_a_build_that_finishes_during_a_scan_fails_no_reconciliation(warehouse: Path) -> None:
    """Builds go on while a scan runs. The scan counts raw up to the last build it saw, and
    must count the marts up to the same build, not with the rows of one that finished since."""
    from backbeat.quality.contracts import load_contracts
    from backbeat.quality.runner import scan_variables
    from backbeat.quality.scan import run_scan
    from backbeat.warehouse import open_backend

    settings = settings_for(warehouse)
    variables = scan_variables(settings, open_backend(settings))  # the scan starts
    plant(
        warehouse,
        "raw/listen_events/event_date=2018-11-30",
        "SELECT * REPLACE (sessionId + 1000000 AS sessionId, now() AS _ingested_at) "
        "FROM raw.listen_events WHERE event_date = DATE '2018-11-30'",
    )
    later = open_build(settings).run()  # ...a build finishes while it runs
    assert later.rows_added("marts.song_plays") > 0
    target = DuckDBQualityTarget(DuckDBWarehouse(warehouse))
    try:
        scan = run_scan(load_contracts(layers=("marts",)), target, variables, ("marts",))
    finally:
        target.close()
    assert not [r for r in scan.failed if "reconcile" in r.label], markdown_report(scan)


def test_a_scan_reads_one_state_of_the_warehouse_while_builds_go_on(warehouse: Path) -> None:
    """A pinned connection (a quality scan's) keeps the files it listed: a build that adds
    hubs and links after it opened changes neither, so a link never references a hub row
    the same scan cannot see. A connection of other readers lists again per query."""
    pinned = DuckDBWarehouse(warehouse).connect(pinned=True)
    live = DuckDBWarehouse(warehouse).connect()
    counts = (
        "SELECT (SELECT COUNT(*) FROM vault.hub_session), "
        "(SELECT COUNT(*) FROM vault.link_session_context)"
    )
    try:
        before = pinned.execute(counts).fetchone()
        plant(
            warehouse,
            "raw/page_view_events/event_date=2018-11-30",
            "SELECT * REPLACE (sessionId + 1000000 AS sessionId, now() AS _ingested_at) "
            "FROM raw.page_view_events WHERE event_date = DATE '2018-11-30'",
        )
        built = open_build(settings_for(warehouse)).run()
        assert built.rows_added("vault.hub_session") > 0
        assert pinned.execute(counts).fetchone() == before
        after = live.execute(counts).fetchone()
        assert after is not None and before is not None and after[0] > before[0]
    finally:
        pinned.close()
        live.close()
