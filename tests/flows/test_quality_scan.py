"""`quality_scan` as a Prefect flow run on the session's real Prefect server: a clean
warehouse completes with its artifacts, a spoiled one fails naming the check, and
quality.results keeps the history of both."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.settings import PREFECT_API_URL
from prefect.settings import temporary_settings as prefect_settings

from backbeat.emit.runs import run_replay
from backbeat.emit.sinks import DirectRawSink
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.warehouse import open_build
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from tests.quality.test_scan import plant

RUN_FLOW = "from flows.quality_scan import quality_scan; print(quality_scan())"


def run_flow(api_url: str, warehouse: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_API_URL": api_url, "BACKBEAT_WAREHOUSE_DIR": str(warehouse)}
    return subprocess.run(
        [sys.executable, "-c", RUN_FLOW], env=env, capture_output=True, text=True, timeout=300
    )


def latest_artifacts(api_url: str) -> dict[str, object]:
    async def read() -> dict[str, object]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["quality-results", "quality-report"])
                )
            )
            return {a.key: a.data for a in sorted(found, key=lambda a: a.created)}

    with prefect_settings(updates={PREFECT_API_URL: api_url}):
        return asyncio.run(read())


def flow_run_states(api_url: str) -> list[str]:
    async def read() -> list[str]:
        async with get_client() as client:
            runs = await client.read_flow_runs()
            return [r.state_type.value for r in runs if r.name and r.state_type]

    with prefect_settings(updates={PREFECT_API_URL: api_url}):
        return asyncio.run(read())


def test_quality_flow_reports_passes_and_failures(
    local_stack: Settings, eventsim_real: Path, tmp_path: Path
) -> None:
    run_replay(
        [eventsim_real / "sparkify_dend_log_data"], DirectRawSink(RawParquetWriter(tmp_path))
    )
    open_build(with_overrides(get_settings(), warehouse={"dir": tmp_path})).run()
    api_url = str(local_stack.prefect.api_url)

    passed = run_flow(api_url, tmp_path)
    assert passed.returncode == 0, passed.stderr[-3000:]
    assert "'failed': 0" in passed.stdout
    published = latest_artifacts(api_url)
    table = published["quality-results"]
    rows = table if isinstance(table, list) else json.loads(str(table))
    assert len(rows) > 150 and {row["outcome"] for row in rows} == {"passed"}
    assert "raw.listen_events" in str(published["quality-report"])

    plant(
        tmp_path,
        "raw/listen_events/event_date=2018-11-15",
        """SELECT * EXCLUDE (event_date) REPLACE (-1.0 AS duration, 10_000_000 AS _offset)
           FROM raw.listen_events LIMIT 1""",
    )
    spoiled = run_flow(api_url, tmp_path)
    assert spoiled.returncode != 0
    assert "1 quality checks failed: raw.listen_events: failed_rows (durations are positive)" in (
        spoiled.stderr
    )
    report = str(latest_artifacts(api_url)["quality-report"])
    assert "durations are positive" in report and "**failed**: 1 checks" in report
    states = flow_run_states(api_url)
    assert "COMPLETED" in states and "FAILED" in states

    history = (
        DuckDBWarehouse(tmp_path)
        .query(
            """SELECT run_id, COUNTIF(outcome = 'failed') AS failed FROM quality.results
           GROUP BY run_id ORDER BY MIN(checked_at)"""
        )
        .rows
    )
    assert [failed for _, failed in history] == [0, 1]
