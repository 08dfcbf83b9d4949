"""The loader against a real Kafka: every record exactly once, bad ones to dead_letter,
crashes at random points lose and duplicate nothing."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from backbeat.emit.pacing import Pacer
from backbeat.emit.runs import run_replay, run_simulation
from backbeat.kafka.dead_letter import parse_headers
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import Settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.warehouse import open_warehouse
from backbeat.warehouse.bigquery.setup import init_bigquery
from dataflows.launch import init_recovery, loader_command
from tests.conftest import BigQueryEmulator
from tests.dataflows.processes import cluster_process
from tests.kafka.producers import exact_producer
from tests.waits import PATIENCE_S, eventually

JAN_1 = 1_704_067_200_000
DAY_MS = 86_400_000


def _produce_simulation(settings: Settings, users: int, days: float, seed: int) -> Counter[str]:
    params = SimulationParams(
        start_ms=JAN_1, end_ms=JAN_1 + int(days * DAY_MS), n_users=users, seed=seed
    )
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=2000, catalogue_seed=seed))
    return Counter(run_simulation(simulator, KafkaProducer(settings.kafka), Pacer(None, 0)).counts)


@pytest.fixture(params=["duckdb", "bigquery"])
def loader_settings(
    request: pytest.FixtureRequest, fresh_kafka: Settings, tmp_path: Path
) -> Settings:
    """A private Kafka plus an empty warehouse: DuckDB files, or a new dataset on the emulator."""
    if request.param == "duckdb":
        return fresh_kafka
    emulator: BigQueryEmulator = request.getfixturevalue("bigquery_emulator")
    dataset = "raw_" + re.sub(r"\W", "_", request.node.name).lower()
    settings = emulator.settings(fresh_kafka, raw_dataset=dataset)
    init_bigquery(settings.warehouse)
    return settings


def _raw_counts(settings: Settings) -> dict[str, int]:
    return open_warehouse(settings).raw_counts()


def _distinct_coordinates(settings: Settings, table: str) -> int:
    result = open_warehouse(settings).query(
        f"SELECT COUNT(DISTINCT FORMAT('%d/%d', _partition, _offset)) FROM raw.{table}"
    )
    return int(result.rows[0][0])


def test_backbeat_load_lands_every_produced_record_once(loader_settings: Settings) -> None:
    produced = _produce_simulation(loader_settings, users=200, days=2, seed=3)
    env = {**os.environ, **settings_environment(loader_settings), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "backbeat", "load", "--exit-when-idle", "2", "-w", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    counts = _raw_counts(loader_settings)
    for topic, count in produced.items():
        assert counts[topic] == count, topic
        assert _distinct_coordinates(loader_settings, topic) == count
    assert counts["dead_letter"] == 0
    assert f"{produced['page_view_events']:,}" in result.stdout  # the summary table


def test_bad_records_go_to_dead_letter_and_nothing_stops(
    loader_settings: Settings, eventsim_real: Path
) -> None:
    fresh_kafka = loader_settings
    good = (
        (eventsim_real / "kafka_fork_zipcodecore" / "output" / "page_view_events")
        .read_bytes()
        .splitlines(keepends=True)
    )
    bad = [
        b"{not json at all\n",
        good[0].replace(b'"ts":1703438319902', b'"ts":"noon"'),
        good[1].replace(b'"page":"NextSong",', b""),
        good[2].replace(b'"lat":', b'"mood":"happy","lat":'),
    ]
    producer = exact_producer(fresh_kafka.kafka)
    stream = list(good[:40]) + bad[:2] + list(good[40:]) + bad[2:]
    for value in stream:  # one partition, so offsets follow the order here
        producer.produce("page_view_events", value, partition=0)
    assert producer.flush(30) == 0
    del producer
    init_recovery(fresh_kafka.loader.recovery_dir)
    env = {**os.environ, **settings_environment(fresh_kafka)}
    subprocess.run(
        loader_command(fresh_kafka.loader, 2.0, workers=2), env=env, check=True, timeout=PATIENCE_S
    )

    counts = _raw_counts(fresh_kafka)
    assert counts["page_view_events"] == len(good) == 92
    assert counts["dead_letter"] == 4
    reasons = (
        open_warehouse(fresh_kafka)
        .query("SELECT error, original FROM raw.dead_letter ORDER BY source_offset")
        .rows
    )
    assert [r[1] for r in reasons] == [
        b.rstrip(b"\n") + b"\n" if b.endswith(b"\n") else b for b in bad
    ]
    assert "not JSON" in reasons[0][0]
    assert "Expected `int`, got `str` - at `$.ts`" in reasons[1][0]
    assert "missing required field `page`" in reasons[2][0]
    assert "unknown field `mood`" in reasons[3][0]

    consumer = Consumer(
        fresh_kafka.kafka.client_config(**{"group.id": "t", "auto.offset.reset": "earliest"})
    )
    consumer.subscribe(["dead_letter"])
    letters, deadline = [], time.monotonic() + PATIENCE_S
    while len(letters) < 4 and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            letters.append(parse_headers(message.headers()))
    consumer.close()
    assert sorted(int(h["bb.source.offset"]) for h in letters) == [40, 41, 94, 95]
    assert {h["bb.stage"] for h in letters} == {"loader"}


def test_kill_9_at_random_points_loses_and_duplicates_nothing(loader_settings: Settings) -> None:
    settings = with_overrides(
        loader_settings, loader={"batch_max_rows": 500, "batch_max_seconds": 0.2}
    )
    produced = _produce_simulation(settings, users=3000, days=4, seed=11)
    total = sum(produced.values())
    assert total > 150_000
    init_recovery(settings.loader.recovery_dir)
    env = {**os.environ, **settings_environment(settings)}
    chance = random.Random(2024)
    loaded_after_kills = []
    loaded = 0
    # Each run is killed at a random moment after it has written something (start-up takes
    # however long it takes on this machine).
    for pause in (chance.uniform(0.0, 1.5) for _ in range(3)):
        process = subprocess.Popen(
            loader_command(settings.loader, None, workers=2), env=env, start_new_session=True
        )
        before = loaded
        eventually(
            lambda: sum(n for t, n in _raw_counts(settings).items() if t != "dead_letter") > before,
            "the loader writing",
        )
        time.sleep(pause)
        assert process.poll() is None, "the loader should still be running when it is killed"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        loaded = sum(n for t, n in _raw_counts(settings).items() if t != "dead_letter")
        loaded_after_kills.append(loaded)
    # A kill interrupted a load in progress (else this test would prove nothing).
    assert any(0 < n < total for n in loaded_after_kills), loaded_after_kills
    assert all(n <= total for n in loaded_after_kills)
    subprocess.run(
        loader_command(settings.loader, 3.0, workers=2), env=env, check=True, timeout=2 * PATIENCE_S
    )
    counts = _raw_counts(settings)
    for topic, count in produced.items():
        assert counts[topic] == count, (topic, counts[topic], count)
        assert _distinct_coordinates(settings, topic) == count


def test_real_eventsim_samples_all_land(fresh_kafka: Settings, eventsim_real: Path) -> None:
    replayed = run_replay(
        [eventsim_real / "kafka_fork_zipcodecore", eventsim_real / "sparkify_dend_log_data"],
        KafkaProducer(fresh_kafka.kafka),
    )
    assert replayed.rejected == 0
    init_recovery(fresh_kafka.loader.recovery_dir)
    env = {**os.environ, **settings_environment(fresh_kafka)}
    subprocess.run(
        loader_command(fresh_kafka.loader, 2.0, workers=1), env=env, check=True, timeout=PATIENCE_S
    )
    counts = _raw_counts(fresh_kafka)
    assert counts["page_view_events"] == 92 + 8056
    assert counts["listen_events"] == 76 + 867 + 6820
    assert counts["status_change_events"] == 9
    assert counts["auth_events"] == replayed.counts["auth_events"]
    assert counts["dead_letter"] == 0


def test_metrics_are_served_while_loading(fresh_kafka: Settings) -> None:
    import httpx

    from backbeat.stack.private import free_port

    port = free_port()
    settings = with_overrides(fresh_kafka, loader={"metrics_port": port})
    produced = _produce_simulation(settings, users=100, days=1, seed=4)
    init_recovery(settings.loader.recovery_dir)
    env = {**os.environ, **settings_environment(settings)}
    process = subprocess.Popen(
        loader_command(settings.loader, None, workers=1), env=env, start_new_session=True
    )
    views = produced["page_view_events"]
    written = f'backbeat_loader_rows_written_total{{table="page_view_events"}} {views}.0'
    try:

        def metrics() -> str:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=PATIENCE_S).text
            except httpx.HTTPError:
                return ""
            return text if written in text else ""

        text = eventually(metrics, "every page view counted in the metrics")
        assert "backbeat_loader_event_to_warehouse_seconds_bucket" in text
        assert "backbeat_loader_batch_write_seconds_count" in text
        assert 'backbeat_loader_kafka_lag_records{partition="0",topic="listen_events"}' in text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=PATIENCE_S) == 0  # SIGTERM: open batches flushed, clean exit


def test_one_of_two_loader_processes_killed_stops_both_and_a_restart_loses_nothing(
    loader_settings: Settings,
) -> None:
    """Bytewax runs the processes of a cluster as one dataflow: when one dies (kill -9) the
    others stop too, with an error; started again, they resume from the last snapshot and
    write every record once (DuckDB and BigQuery alike)."""
    from backbeat.stack.private import free_port

    settings = with_overrides(
        loader_settings, loader={"batch_max_rows": 500, "batch_max_seconds": 0.2}
    )
    produced = _produce_simulation(settings, users=2000, days=2, seed=13)
    total = sum(produced.values())
    addresses = f"127.0.0.1:{free_port()};127.0.0.1:{free_port()}"
    processes = [cluster_process(settings, "load", k, addresses, None) for k in range(2)]

    def loaded() -> int:
        return sum(n for t, n in _raw_counts(settings).items() if t != "dead_letter")

    eventually(lambda: loaded() > 0, "the loader writing")
    os.killpg(processes[0].pid, signal.SIGKILL)
    processes[0].wait()
    _, errors = processes[1].communicate(timeout=PATIENCE_S)
    assert processes[1].returncode not in (0, None)
    assert "start them all again" in errors, errors[-2000:]
    assert 0 < loaded() < total, "the kill should interrupt the load"

    restarted = [cluster_process(settings, "load", k, addresses, 3.0) for k in range(2)]
    for process in restarted:
        _, errors = process.communicate(timeout=PATIENCE_S)
        assert process.returncode == 0, errors[-3000:]
    counts = _raw_counts(settings)
    for topic, count in produced.items():
        assert counts[topic] == count, topic
        assert _distinct_coordinates(settings, topic) == count


def test_two_loader_processes_together_land_everything_once(
    loader_settings: Settings,
) -> None:
    from backbeat.stack.private import free_port

    produced = _produce_simulation(loader_settings, users=300, days=1, seed=21)
    addresses = f"127.0.0.1:{free_port()};127.0.0.1:{free_port()}"
    processes = [cluster_process(loader_settings, "load", k, addresses, 3.0) for k in range(2)]
    outputs = [process.communicate(timeout=PATIENCE_S) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    counts = _raw_counts(loader_settings)
    for topic, count in produced.items():
        assert counts[topic] == count, topic
        assert _distinct_coordinates(loader_settings, topic) == count
    # Had both processes read a partition, its rows would be there twice (count > distinct,
    # their start-up marks were both empty); had neither, the counts would fall short.
