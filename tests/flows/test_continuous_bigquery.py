"""Continuous builds on the BigQuery backend (the emulator): `backbeat build --continuous`
follows rows as they land in raw, and the marts it leaves equal a full build of the same rows
on fresh datasets."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

from backbeat.emit.sinks import DirectRawSink
from backbeat.events import encode
from backbeat.settings import Settings
from backbeat.settings.environment import settings_environment
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.warehouse import QueryError, open_build, open_warehouse
from backbeat.warehouse.bigquery.raw_writer import BigQueryRawWriter
from backbeat.warehouse.bigquery.setup import init_bigquery
from tests.conftest import BigQueryEmulator
from tests.events.plays import a_play
from tests.waits import PATIENCE_S, eventually

JAN_1 = 1_704_067_200_000
PROBE_SESSION = 55_555
Records = list[tuple[str, bytes]]


def _records() -> Records:
    params = SimulationParams(JAN_1, JAN_1 + 86_400_000, 30, seed=9)
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=200))
    return [(event.topic, encode(event.record)) for event in simulator.events()]


def _load(settings: Settings, records: Records) -> None:
    writer = BigQueryRawWriter(settings.warehouse)
    sink = DirectRawSink(writer, ingested_ms=int(time.time() * 1000))
    for topic, value in records:
        sink.write(topic, None, value)
    sink.close()
    writer.close()


def _rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    return sorted(open_warehouse(settings).query(sql).rows)


def _plays(settings: Settings) -> int | None:
    """Rows in marts.song_plays; None until the first build has made the table."""
    try:
        return int(_rows(settings, "SELECT COUNT(*) FROM marts.song_plays")[0][0])
    except QueryError:
        return None


def _datasets(name: str) -> dict[str, str]:
    return {f"{layer}_dataset": f"{name}_{layer}" for layer in ("raw", "vault", "marts")}


def test_continuous_builds_on_bigquery_follow_raw_and_equal_a_full_build(
    local_stack: Settings, bigquery_emulator: BigQueryEmulator
) -> None:
    live = bigquery_emulator.settings(local_stack, **_datasets("cont"))
    init_bigquery(live.warehouse)
    records = _records()
    plays = sum(topic == "listen_events" for topic, _ in records)
    _load(live, records)
    env = {**os.environ, **settings_environment(live), "COLUMNS": "200"}
    builds = subprocess.Popen(
        [sys.executable, "-m", "backbeat", "build", "--continuous", "--every", "2"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    probe = ("listen_events", encode(a_play(JAN_1 + 2 * 86_400_000, PROBE_SESSION, 31_337)))
    try:
        eventually(lambda: _plays(live) == plays, "the plays in marts.song_plays")
        _load(live, [probe])  # lands after builds have run: a later one must take it
        eventually(lambda: _plays(live) == plays + 1, "the probe in marts.song_plays")
    finally:
        builds.send_signal(signal.SIGTERM)
        _, stderr = builds.communicate(timeout=PATIENCE_S)
    assert builds.returncode == 0, stderr[-3000:]
    assert "(0 failed)" in stderr, stderr[-3000:]
    done = re.search(r"stopped after ([\d,]+) builds", stderr)
    assert done and int(done[1].replace(",", "")) >= 2, stderr[-3000:]

    rebuilt = bigquery_emulator.settings(local_stack, **_datasets("full"))
    init_bigquery(rebuilt.warehouse)
    _load(rebuilt, [*records, probe])
    open_build(rebuilt).run()
    for sql in (
        "SELECT play_id, played_at, user_id, artist, song, session_id FROM marts.song_plays",
        "SELECT * FROM marts.hourly_activity",
        "SELECT * FROM marts.sessions",
    ):
        assert _rows(live, sql) == _rows(rebuilt, sql), sql
