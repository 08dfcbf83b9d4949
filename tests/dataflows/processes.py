"""The dataflows as the tests run them: real processes with the settings of a private stack."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from backbeat.settings import Settings
from backbeat.settings.environment import settings_environment
from backbeat.waiting import wait_until, wait_until_answers
from dataflows.launch import init_recovery, sessions_command
from tests.waits import PATIENCE_S


def start_sessions(
    settings: Settings, exit_when_idle: float | None = None
) -> subprocess.Popen[str]:
    """The sessions dataflow in the background (stdout and stderr piped)."""
    init_recovery(settings.sessions.recovery_dir)
    env = {**os.environ, **settings_environment(settings)}
    return subprocess.Popen(
        sessions_command(settings.sessions, exit_when_idle),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def generate_with_taste(
    directory: Path, users: int, days_ago: tuple[float, float], seed: int, catalogue: int
) -> Path:
    """`backbeat generate --taste` into `directory` (a file per topic) from `days_ago[0]`
    to `days_ago[1]` days before now; returns `directory`."""
    start, end = days_ago
    subprocess.run(
        [
            sys.executable,
            "-m",
            "backbeat",
            "generate",
            "--taste",
            *("-n", str(users), "--from", str(start), "--to", str(end), "-r", str(seed)),
            *("--catalogue-size", str(catalogue), "-o", str(directory)),
        ],
        check=True,
        capture_output=True,
        timeout=PATIENCE_S,
    )
    return directory


def cluster_process(
    settings: Settings, command: str, index: int, addresses: str | None, idle_s: float | None
) -> subprocess.Popen[str]:
    """`backbeat <command>` (load, sessions) with one worker, as process `index` of the
    Bytewax cluster `addresses` (-i/-a; None: alone), in a session of its own (`os.killpg`
    ends it)."""
    idle = [] if idle_s is None else ["--exit-when-idle", str(idle_s)]
    cluster = [] if addresses is None else ["-i", str(index), "-a", addresses]
    return subprocess.Popen(
        [sys.executable, "-m", "backbeat", command, *idle, "-w", "1", *cluster],
        env={**os.environ, **settings_environment(settings)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def load_until_idle(settings: Settings, idle_s: float = 2) -> None:
    """`backbeat load` until Kafka has been quiet for `idle_s`; asserts it exits cleanly."""
    loaded = subprocess.run(
        [sys.executable, "-m", "backbeat", "load", "--exit-when-idle", str(idle_s)],
        env={**os.environ, **settings_environment(settings)},
        capture_output=True,
        text=True,
        timeout=PATIENCE_S,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]


def wait_until_healthy(process: subprocess.Popen[str], url: str) -> None:
    """Until `url` answers 200; fails with the process's stderr if it exits first."""

    def alive() -> None:
        assert process.poll() is None, process.communicate()[1][-3000:]

    wait_until_answers(url, "the server", PATIENCE_S, alive=alive)


def read_topic(settings: Settings, topic: str) -> list[bytes]:
    """Every record on `topic` now, up to each partition's end (however long reading takes)."""
    from confluent_kafka import Consumer, TopicPartition

    from backbeat.kafka.admin import watermarks

    ends = {part: high for (_, part), (_, high) in watermarks(settings.kafka, [topic]).items()}
    consumer = Consumer(settings.kafka.client_config(**{"group.id": "tests", "log_level": 0}))
    consumer.assign([TopicPartition(topic, part, 0) for part in ends])
    found: list[bytes] = []
    read = dict.fromkeys(ends, 0)

    def done() -> bool:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            found.append(message.value() or b"")
            read[message.partition() or 0] = (message.offset() or 0) + 1
        return all(read[part] >= end for part, end in ends.items())

    try:
        wait_until(done, f"reading {topic} to its end", PATIENCE_S, interval_s=0)
    finally:
        consumer.close()
    return found


def children_of(pid: int) -> list[int]:
    """The pids of `pid`'s direct children (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def descendants_of(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children_of(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
