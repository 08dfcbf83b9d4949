"""The loader as a hostile producer and a careless operator meet it (#15), on real Kafka:
poison records, replayed rejects, a deleted warehouse, two loaders on one recovery folder,
and a `kill -9` of the command that started the dataflow."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from confluent_kafka import KafkaException

from backbeat.emit.pacing import Pacer
from backbeat.emit.runs import run_simulation
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import Settings
from backbeat.settings.environment import settings_environment
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.warehouse import open_warehouse
from dataflows.launch import EXIT_REFUSED
from tests.dataflows.processes import alive, children_of, cmdline
from tests.kafka.producers import exact_producer
from tests.waits import PATIENCE_S, eventually

JAN_1 = 1_704_067_200_000

GOOD = (
    b'{"ts":1703438479902,"sessionId":53,"page":"Home","auth":"Logged In","method":"GET",'
    b'"status":200,"level":"free","itemInSession":0,"city":"Miami","zip":"07836","state":"AZ",'
    b'"userAgent":"\\"Mozilla/5.0\\"","lon":-110.894685,"lat":33.339679,"userId":7}'
)
#: Each was accepted into raw, or stopped the loader, before #15.
POISON = {
    "ts 10^15": GOOD.replace(b'"ts":1703438479902', b'"ts":1000000000000000'),
    "ts in 2100": GOOD.replace(b'"ts":1703438479902', b'"ts":4102444800000'),
    "invalid UTF-8": GOOD.replace(b'"page":"Home"', b'"page":"Ho\xffme"'),
    "userId 2^63": GOOD.replace(b'"userId":7', b'"userId":9223372036854775808'),
    "negative userId": GOOD.replace(b'"userId":7', b'"userId":-7'),
    "ts twice": GOOD.replace(b'"userId":7', b'"userId":7,"ts":1'),
    "negative duration": GOOD.replace(b'"userId":7', b'"userId":7,"duration":-3.5'),
}


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backbeat", *args],
        env={**os.environ, **settings_environment(settings), "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=2 * PATIENCE_S,
        check=False,
    )


def _produce_simulation(settings: Settings, users: int, seed: int) -> Counter[str]:
    params = SimulationParams(start_ms=JAN_1, end_ms=JAN_1 + 86_400_000, n_users=users, seed=seed)
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=500, catalogue_seed=seed))
    return Counter(run_simulation(simulator, KafkaProducer(settings.kafka), Pacer(None, 0)).counts)


def test_poison_records_and_replayed_rejects_end_in_dead_letter_in_one_run(
    fresh_kafka: Settings, tmp_path: Path
) -> None:
    producer = exact_producer(fresh_kafka.kafka)
    for name, value in POISON.items():  # between good records, on one partition
        producer.produce("page_view_events", GOOD, partition=0)
        producer.produce("page_view_events", value, partition=0, key=name.encode())
    assert producer.flush(30) == 0

    replayed = tmp_path / "page_view_events"
    huge = GOOD.replace(b'"Mozilla/5.0', b'"Mozilla/5.0' + b"!" * 1_200_000)  # valid, too big
    lines = [GOOD, POISON["invalid UTF-8"], huge, b"x" * 1_200_000, GOOD]
    replayed.write_bytes(b"\n".join(lines) + b"\n")
    replay = _cli(fresh_kafka, "replay", str(replayed))
    assert replay.returncode == 0, replay.stderr
    assert "3 lines were rejected" in replay.stderr
    assert "5 lines read, 2 records written" in replay.stderr

    loaded = _cli(fresh_kafka, "load", "--exit-when-idle", "2")
    assert loaded.returncode == 0, loaded.stderr  # one run: no restart was needed

    warehouse = open_warehouse(fresh_kafka)
    views = warehouse.query("SELECT _offset FROM raw.page_view_events").rows
    assert len(views) == len(POISON) + 2  # the good ones from Kafka and from the file
    letters = warehouse.query(
        "SELECT stage, source_topic, source_offset, source_file, source_line, error, original "
        "FROM raw.dead_letter ORDER BY stage, source_offset, source_line"
    ).rows
    loader = [row for row in letters if row[0] == "loader"]
    assert [row[6] for row in loader] == list(POISON.values())
    reasons = [row[5] for row in loader]
    for reason, expected in zip(
        reasons,
        [
            "<= 253402300799999",
            "ahead of now",
            "not UTF-8",
            "<= 9223372036854775807",
            ">= 0",
            "more than once",
            "> 0.0",
        ],
        strict=True,
    ):
        assert expected in reason, reasons
    replay_letters = [row for row in letters if row[0] == "replay"]
    assert [(row[3], row[4]) for row in replay_letters] == [(str(replayed), n) for n in (2, 3, 4)]
    assert "not UTF-8" in replay_letters[0][5]
    assert replay_letters[0][6] == POISON["invalid UTF-8"]
    for oversize in replay_letters[1:]:  # kept in part, and the reason says where the rest is
        assert f"the whole record is at {replayed}:" in oversize[5]
        assert len(oversize[6]) < 1_000_000
    assert "over Kafka's limit" in replay_letters[1][5]
    assert "not JSON" in replay_letters[2][5]


def test_a_deleted_or_older_warehouse_is_refused_then_reloaded_from_kafka(
    fresh_kafka: Settings, tmp_path: Path
) -> None:
    produced = _produce_simulation(fresh_kafka, users=100, seed=5)
    first = _cli(fresh_kafka, "load", "--exit-when-idle", "2")
    assert first.returncode == 0, first.stderr
    raw = fresh_kafka.warehouse.dir / "raw"
    older = tmp_path / "older-copy"
    shutil.copytree(raw, older)
    produced += _produce_simulation(fresh_kafka, users=100, seed=6)
    second = _cli(fresh_kafka, "load", "--exit-when-idle", "2")
    assert second.returncode == 0, second.stderr
    counts = open_warehouse(fresh_kafka).raw_counts()
    assert {t: counts[t] for t in produced} == dict(produced)

    for mistake in ("an older copy put back", "the folder deleted"):
        shutil.rmtree(raw)
        if mistake == "an older copy put back":
            shutil.copytree(older, raw)
        refused = _cli(fresh_kafka, "load", "--exit-when-idle", "2")
        assert refused.returncode == EXIT_REFUSED, (mistake, refused.stderr)
        assert str(raw) in refused.stderr
        assert str(fresh_kafka.loader.recovery_dir) in refused.stderr
        assert "backbeat load --reload" in refused.stderr
        assert "Traceback" not in refused.stderr and "panicked" not in refused.stderr

    reloaded = _cli(fresh_kafka, "load", "--reload", "--exit-when-idle", "2")
    assert reloaded.returncode == 0, reloaded.stderr
    counts = open_warehouse(fresh_kafka).raw_counts()
    assert {t: counts[t] for t in produced} == dict(produced)
    assert "lost for good" not in reloaded.stderr  # Kafka still held everything


def test_one_loader_per_recovery_folder_and_none_outlives_its_command(
    fresh_kafka: Settings,
) -> None:
    _produce_simulation(fresh_kafka, users=20, seed=6)
    env = {**os.environ, **settings_environment(fresh_kafka)}
    command = [sys.executable, "-m", "backbeat", "load"]
    first = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        # The command first makes the recovery folder in a short-lived child of its own.
        (dataflow,) = eventually(
            lambda: [pid for pid in children_of(first.pid) if "bytewax.run" in cmdline(pid)],
            "the Bytewax process starting",
        )
        eventually(
            lambda: open_warehouse(fresh_kafka).raw_counts()["page_view_events"] > 0,
            "the first loader writing",
        )
        second = _cli(fresh_kafka, "load", "--exit-when-idle", "1")
        assert second.returncode == EXIT_REFUSED, second.stderr
        assert f"another loader process (pid {dataflow})" in second.stderr
        assert str(fresh_kafka.loader.recovery_dir) in second.stderr

        os.kill(first.pid, signal.SIGKILL)  # cannot be caught: the child must go by itself
        first.wait()
        eventually(lambda: not alive(dataflow), "the orphaned Bytewax process stopping")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    # Its lock went with it: the folder is free again, and nothing was lost or doubled.
    again = _cli(fresh_kafka, "load", "--exit-when-idle", "2")
    assert again.returncode == 0, again.stderr


def test_generate_flushes_what_it_made_on_sigterm(fresh_kafka: Settings) -> None:
    from backbeat.kafka.admin import watermarks
    from backbeat.kafka.topics import EVENT_TOPICS

    env = {**os.environ, **settings_environment(fresh_kafka), "COLUMNS": "200"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backbeat",
            "generate",
            "-n",
            "300",
            "--continuous",
            "--speed",
            "300",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )

    def some_sent() -> bool:
        assert process.poll() is None
        try:
            return sum(h for _, h in watermarks(fresh_kafka.kafka, EVENT_TOPICS).values()) > 0
        except KafkaException:  # a new broker settling its partition leaders
            return False

    eventually(some_sent, "generate sending")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=PATIENCE_S)
    assert process.returncode == 0, stderr
    found = re.search(r"interrupted: flushed the ([\d,]+) records generated", stderr)
    assert found, stderr
    in_kafka = sum(h for _, h in watermarks(fresh_kafka.kafka, EVENT_TOPICS).values())
    assert in_kafka == int(found[1].replace(",", "")) > 0  # every record made, delivered
