"""The loop closed in simulation, end to end on real Kafka, Redis and DuckDB: simulated users
ask the running offer API what they are shown, accept some offers, upgrade because of them,
and the offer performance mart measures treated over holdout.

    simulator (paced) --Kafka--> sessions dataflow --Redis--> API <--HTTP-- simulated users
                                                               |
                             loader <--Kafka: offers, offer_events, the four eventsim topics
                               |
                        raw -> vault -> marts.offer_performance
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from backbeat.emit.offer_responder import ApiOfferResponder
from backbeat.emit.pacing import Pacer
from backbeat.emit.runs import run_simulation
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import Settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.stack.private import free_port
from backbeat.warehouse import open_build, open_warehouse
from dataflows.connectors.kafka_source import LAG_EVERY_S
from tests.dataflows.processes import load_until_idle, start_sessions, wait_until_healthy
from tests.waits import PATIENCE_S, eventually

KEY = "loop-test-key"
PATIENCE_MS = int(PATIENCE_S * 1000)
USERS, HOURS, SPEED = 2000, 48, 2880  # two simulated days in a minute of wall time


@pytest.fixture
def loop(realtime: Settings) -> Iterator[Settings]:
    """The real-time side with half the users held out, the sessions dataflow and the API up."""
    port = free_port()
    settings = with_overrides(
        realtime,
        sessions={"holdout_share": 0.5, "holdout_tags": [], "metrics_port": free_port()},
        api={"keys": [KEY], "port": port, "redis_timeout_ms": PATIENCE_MS},
        responses={
            "api_url": f"http://127.0.0.1:{port}",
            "accept": {"premium_trial": 0.9, "retention_discount": 0.9},
            "seed": 5,
            "timeout_ms": PATIENCE_MS,
        },
    )
    # The product's timeouts (the app's wait for the API, the API's for Redis) are tuned for
    # answers in milliseconds; on a starved machine the test waits instead of counting errors.
    env = {
        **os.environ,
        **settings_environment(settings),
        "BACKBEAT_API_KEYS": f'["{KEY}"]',
        "BACKBEAT_API_REDIS_TIMEOUT_MS": str(PATIENCE_MS),
    }
    api = subprocess.Popen(
        [sys.executable, "-m", "backbeat", "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    sessions = start_sessions(settings)
    try:
        wait_until_healthy(api, f"http://127.0.0.1:{port}/healthz")
        yield settings
    finally:
        for process in (sessions, api):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def _lag(metrics_url: str) -> float | None:
    """The sessions dataflow's reported Kafka lag (records), None before its first report."""
    text = httpx.get(metrics_url, timeout=PATIENCE_S).text
    found = re.findall(r"^backbeat_sessions_kafka_lag_records\{.*\} (\S+)$", text, re.M)
    return sum(float(x) for x in found) if found else None


def test_users_who_answer_offers_convert_more_than_the_holdout(loop: Settings) -> None:
    start_ms = int(time.time() * 1000)  # offers are served until they expire by the clock
    responder = ApiOfferResponder(loop)
    responder.check()
    simulator = build_simulator(
        SimulatorOptions(
            SimulationParams(start_ms, start_ms + HOURS * 3_600_000, USERS, seed=11),
            catalogue_size=2000,
            responder=responder,
        )
    )
    stats = run_simulation(simulator, KafkaProducer(loop.kafka), Pacer(SPEED, anchor_ms=start_ms))
    responder.close()
    assert stats.page_views > 30_000
    assert responder.counts["accept"] >= 10, responder.counts
    assert responder.counts["errors"] == 0, responder.counts

    # On a slow machine the dataflow is still deciding when the simulation ends: the loader
    # may only stop once it has read every page view, and a lag report later (the batches
    # before it, their offers included, are flushed by then).
    lag = f"http://127.0.0.1:{loop.sessions.metrics_port}/metrics"
    eventually(lambda: _lag(lag) == 0, "the sessions dataflow reading every page view")
    time.sleep(LAG_EVERY_S)
    eventually(lambda: _lag(lag) == 0, "the sessions dataflow still caught up")
    load_until_idle(loop, idle_s=3)
    warehouse = open_warehouse(loop)
    counts = warehouse.raw_counts()
    assert counts["offer_events"] == responder.counts["impression"] + responder.counts["accept"]
    assert counts["dead_letter"] == 0

    open_build(loop).run()
    (row,) = warehouse.query(
        """SELECT SUM(treated), SUM(treated_conversions), SUM(holdout),
                  SUM(holdout_conversions), SUM(accepted)
           FROM marts.offer_performance WHERE offer_type = 'premium_trial'"""
    ).rows
    treated, treated_conversions, holdout, holdout_conversions, accepted = row
    assert treated >= 20 and holdout >= 20, row
    assert accepted > 0
    treated_rate, holdout_rate = treated_conversions / treated, holdout_conversions / holdout
    print(f"premium_trial: {row}, answers {dict(responder.counts)}, {stats.page_views} events")
    assert treated_rate > holdout_rate + 0.2, row
