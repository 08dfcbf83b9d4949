"""`backbeat demo` as a newcomer runs it (smaller), on a stack of its own: it completes, and
every figure of its summary is what a query of the warehouse says afterwards."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL
from prefect.settings import temporary_settings as prefect_settings

from backbeat import stack
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.stack.private import free_port, private_stack_settings
from backbeat.warehouse import open_warehouse
from tests.dataflows.processes import alive, cmdline, descendants_of
from tests.waits import PATIENCE_S, eventually


@dataclass(frozen=True)
class DemoStack:
    settings: Settings
    env: dict[str, str]
    cwd: Path


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    """A stack of the demo's own (it brings it up; both tests use it), down at the end."""
    root = tmp_path_factory.mktemp("demo")
    settings = private_stack_settings(get_settings(), root / "state")
    settings = with_overrides(
        settings,
        warehouse={"dir": root / "warehouse"},
        loader={"recovery_dir": root / "recovery" / "loader", "metrics_port": 0},
        sessions={"recovery_dir": root / "recovery" / "sessions", "metrics_port": 0},
    )
    env = {
        **os.environ,
        **settings_environment(settings),
        "BACKBEAT_API_PORT": str(free_port()),
        "BACKBEAT_DASHBOARD_PORT": str(free_port()),
    }
    try:
        yield DemoStack(settings, env, root)
    finally:
        stack.down(settings)


@pytest.mark.integration
def test_demo_completes_and_its_summary_matches_the_warehouse(demo_stack: DemoStack) -> None:
    settings, env, tmp_path = demo_stack.settings, demo_stack.env, demo_stack.cwd
    ran = subprocess.run(
        [sys.executable, "-m", "backbeat", "demo", "--json", "--users", "400",
         "--history-hours", "6", "--live-seconds", "15"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-4000:]
    summary = json.loads(ran.stdout)
    warehouse = open_warehouse(settings)

    raw = warehouse.raw_counts()
    assert summary["raw_rows"] == raw
    for topic in ("listen_events", "page_view_events", "auth_events"):
        assert summary["events_per_topic"][topic] == raw[topic] > 0
    for table in ("vault.hub_user", "vault.t_link_play", "marts.song_plays", "marts.sessions"):
        (count,) = warehouse.query(f"SELECT COUNT(*) FROM {table}").rows[0]
        assert summary["table_rows"][table] == count, table
    assert summary["layer_rows"]["raw"] == sum(raw.values())
    (plays,) = warehouse.query("SELECT COUNT(*) FROM marts.song_plays").rows[0]
    assert plays == raw["listen_events"]  # every play reached the mart

    decided, holdout = warehouse.query("SELECT COUNT(*), COUNTIF(holdout) FROM raw.offers").rows[0]
    assert (summary["offers"]["decided"], summary["offers"]["holdout"]) == (decided, holdout)
    assert decided > 0

    (checks, failed) = warehouse.query(
        """SELECT COUNT(*), COUNTIF(outcome IN ('failed', 'error')) FROM quality.results"""
    ).rows[0]
    assert summary["quality"] == {"checks": checks, "failed": failed, "failed_checks": []}
    assert checks > 150 and failed == 0
    assert {r["table"] for r in summary["freshness"]} >= {"raw.page_view_events"}
    assert set(summary["urls"]) == {"dashboard", "Prefect UI", "API docs"}

    async def flow_runs() -> list[tuple[str, str]]:
        async with get_client() as client:
            runs = await client.read_flow_runs()
            flows = {f.id: f.name for f in await client.read_flows()}
            return [(flows[r.flow_id], r.state_type.value) for r in runs if r.state_type]

    with prefect_settings(updates={PREFECT_API_URL: str(settings.prefect.api_url)}):
        runs = asyncio.run(flow_runs())
    assert ("build-warehouse", "COMPLETED") in runs
    assert ("quality-scan", "COMPLETED") in runs


@pytest.mark.integration
def test_sigterm_stops_the_demo_and_every_process_it_started(demo_stack: DemoStack) -> None:
    log = demo_stack.cwd / "keep-running.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "backbeat", "demo", "--keep-running", "--users", "50",
             "--history-hours", "1", "--live-seconds", "2"],
            env=demo_stack.env, cwd=demo_stack.cwd, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def running() -> bool:
        assert demo.poll() is None, log.read_text()[-3000:]
        return "Ctrl-C stops the demo's processes" in log.read_text()

    eventually(running, "the demo running with --keep-running")
    # Its loader, sessions, API, dashboard and builds, and their Bytewax processes; the stack's
    # services (Kafka, Redis, Prefect) are meant to stay up after the demo.
    services = ("kafka.Kafka", "redis-server", "prefect server")
    started = [
        pid
        for pid in descendants_of(demo.pid)
        if "backbeat" in cmdline(pid) or "bytewax" in cmdline(pid)
        if not any(service in cmdline(pid) for service in services)
    ]
    assert len(started) >= 7, [cmdline(pid) for pid in started]  # 5 commands, 2 dataflows
    demo.send_signal(signal.SIGTERM)
    demo.wait(timeout=PATIENCE_S)
    eventually(lambda: not any(alive(pid) for pid in started), "every demo process stopping")
    assert "stopping" in log.read_text() or "interrupted" in log.read_text()
