"""Continuous builds: the loop (pure, with a stand-in build) and the warehouse following a
live stream (real Kafka, the loader, `backbeat build --continuous` as runs of the flow on the
session's Prefect server), checked against a full rebuild of the same raw rows."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.settings import PREFECT_API_URL
from prefect.settings import temporary_settings as prefect_settings

from backbeat.emit.pacing import Pacer
from backbeat.emit.runs import run_simulation
from backbeat.events.schemas import ListenEvent
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import Settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.warehouse import open_build, open_warehouse
from dataflows.launch import init_recovery, loader_command
from flows.continuous import build_continuously
from tests.events.plays import a_play
from tests.waits import PATIENCE_S, eventually


def test_builds_run_one_after_another_until_stopped_and_a_failure_does_not_end_them() -> None:
    stop = threading.Event()
    calls: list[str] = []
    running = threading.Lock()

    def build() -> dict[str, Any]:
        assert running.acquire(blocking=False), "two builds at once"
        try:
            calls.append("build")
            if len(calls) == 2:
                raise RuntimeError("BigQuery said no")
            if len(calls) == 4:
                stop.set()
            return {"build_id": str(len(calls)), "vault_rows": 10, "marts_rows": 1}
        finally:
            running.release()

    failures: list[BaseException] = []
    report = build_continuously(0.0, stop, build, on_failure=failures.append)
    assert len(calls) == 4
    assert (report.builds, report.failed) == (3, 1)
    assert (report.vault_rows, report.marts_rows) == (30, 3)
    assert [str(f) for f in failures] == ["BigQuery said no"]


def test_the_next_build_waits_for_the_cadence_from_the_previous_start() -> None:
    stop = threading.Event()
    started: list[float] = []

    def build() -> dict[str, Any]:
        started.append(time.monotonic())
        if len(started) == 3:
            stop.set()
        return {}

    build_continuously(0.2, stop, build)
    gaps = [b - a for a, b in itertools.pairwise(started)]
    assert all(gap >= 0.2 for gap in gaps), gaps  # a lower bound: never sooner


JAN_1 = 1_704_067_200_000
PROBE_SESSION = 987_654_321


def _probe(ts: int) -> ListenEvent:
    return a_play(ts, session_id=PROBE_SESSION, user_id=424_242, registration=JAN_1)


def _completed_build_runs(settings: Settings) -> int:
    """Completed runs of the build-warehouse flow on the Prefect server of `settings`."""

    async def count() -> int:
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["build-warehouse"])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.COMPLETED])
                    )
                ),
            )
            return len(runs)

    with prefect_settings(updates={PREFECT_API_URL: str(settings.prefect.api_url)}):
        return asyncio.run(count())


def _rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    return sorted(open_warehouse(settings).query(sql).rows)


def _plays(settings: Settings) -> int:
    return int(_rows(settings, "SELECT COUNT(*) FROM marts.song_plays")[0][0])


PROBE_PLAY = f"SELECT user_id FROM marts.song_plays WHERE session_id = {PROBE_SESSION}"
PROBE_HOUR = (
    "SELECT plays FROM marts.hourly_activity "
    "WHERE activity_date = DATE '2024-01-04' AND activity_hour = 17"
)


def test_the_marts_follow_the_stream_and_equal_a_full_rebuild(
    fresh_kafka: Settings, local_stack: Settings, tmp_path: Path
) -> None:
    settings = with_overrides(fresh_kafka, prefect={"api_url": local_stack.prefect.api_url})
    runs_before = _completed_build_runs(settings)
    env = {**os.environ, **settings_environment(settings), "COLUMNS": "200"}
    init_recovery(settings.loader.recovery_dir)
    loader = subprocess.Popen(loader_command(settings.loader, None, workers=1), env=env)
    builds = subprocess.Popen(
        [sys.executable, "-m", "backbeat", "build", "--continuous", "--every", "2"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        params = SimulationParams(JAN_1, JAN_1 + 86_400_000, 60, seed=5)
        simulator = build_simulator(SimulatorOptions(params, catalogue_size=300))
        counts = run_simulation(simulator, KafkaProducer(settings.kafka), Pacer(None, 0)).counts
        eventually(
            lambda: _plays(settings) == counts["listen_events"], "the simulation's plays in marts"
        )
        # One more play, produced after a build has already run: a later build must take it.
        probe_ts = JAN_1 + 3 * 86_400_000 + 17 * 3_600_000  # a day and an hour of its own
        producer = KafkaProducer(settings.kafka)
        producer.publish(_probe(probe_ts), b"424242")
        producer.close()
        eventually(
            lambda: _rows(settings, PROBE_PLAY) == [(424_242,)], "the probe in marts.song_plays"
        )
        eventually(
            lambda: _rows(settings, PROBE_HOUR) == [(1,)], "the probe in marts.hourly_activity"
        )
        assert _plays(settings) == counts["listen_events"] + 1
    finally:
        for process in (builds, loader):
            process.send_signal(signal.SIGTERM)
        loader.wait(timeout=PATIENCE_S)
        _, stderr = builds.communicate(timeout=PATIENCE_S)
    assert builds.returncode == 0, stderr[-3000:]
    assert "stopped after" in stderr and "(0 failed)" in stderr, stderr[-3000:]
    builds_reported = int(re.search(r"stopped after ([\d,]+) builds", stderr)[1].replace(",", ""))
    assert builds_reported >= 2
    # Each build is a flow run of its own on the server (with its artifacts).
    assert _completed_build_runs(settings) - runs_before == builds_reported

    # The same raw rows, built once from nothing.
    rebuilt_dir = tmp_path / "rebuilt"
    shutil.copytree(settings.warehouse.dir / "raw", rebuilt_dir / "raw")
    rebuilt = with_overrides(settings, warehouse={"dir": rebuilt_dir})
    open_build(rebuilt).run()
    plays = (
        "SELECT play_id, played_at, user_id, level, artist, song, session_id FROM marts.song_plays"
    )
    hourly = "SELECT * FROM marts.hourly_activity"
    sessions = "SELECT * FROM marts.sessions"  # merged session by session across builds
    pit = "SELECT * FROM vault.pit_user"  # merged user by user across builds
    assert _rows(settings, pit) == _rows(rebuilt, pit)
    assert _rows(settings, plays) == _rows(rebuilt, plays)
    assert _rows(settings, hourly) == _rows(rebuilt, hourly)
    assert _rows(settings, sessions) == _rows(rebuilt, sessions)
    (distinct,) = _rows(settings, "SELECT COUNT(DISTINCT play_id) FROM marts.song_plays")
    assert distinct == (counts["listen_events"] + 1,)
