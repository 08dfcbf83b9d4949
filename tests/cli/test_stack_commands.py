"""`backbeat up | status | down | logs` as a person runs them, on a stack of their own."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from backbeat.settings import Settings, get_settings
from backbeat.settings.environment import settings_environment
from backbeat.stack.private import private_stack_settings
from tests.cli.conftest import Run


@pytest.mark.integration
def test_up_status_down_twice_in_a_row(run_cli: Run, tmp_path: Path) -> None:
    env = settings_environment(private_stack_settings(get_settings(), tmp_path / "state"))
    for cycle in (1, 2):
        up = run_cli("up", env=env)
        assert up.returncode == 0, f"cycle {cycle}: {up.stderr}"

        again = run_cli("up", env=env)  # idempotent: nothing new is started
        assert again.returncode == 0, again.stderr
        assert "already running" in again.stderr

        status = run_cli("status", "--json", env=env)
        assert status.returncode == 0, status.stderr
        services = json.loads(status.stdout)
        assert [s["service"] for s in services] == ["kafka", "redis", "prefect"]
        assert all(s["healthy"] and s["pid"] for s in services), services
        assert {s["address"] for s in services} == {
            env["BACKBEAT_KAFKA_BOOTSTRAP_SERVERS"],
            env["BACKBEAT_REDIS_URL"].removeprefix("redis://").removesuffix("/0"),
            env["BACKBEAT_PREFECT_API_URL"].removeprefix("http://").removesuffix("/api"),
        }

        logs = run_cli("logs", "kafka", "-n", "200", env=env)
        assert logs.returncode == 0 and "Kafka Server started" in logs.stdout

        down = run_cli("down", env=env)
        assert down.returncode == 0, down.stderr
        assert "stopped: prefect, redis, kafka" in down.stderr

        after = run_cli("status", "--json", env=env)
        assert after.returncode == 1
        assert not any(s["healthy"] or s["pid"] for s in json.loads(after.stdout))

    assert run_cli("down", env=env).stderr.strip() == "nothing was running"


def test_up_without_java_fails_with_one_line(run_cli: Run, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("redis-server", "mvn"):  # everything but java
        found = shutil.which(program)
        if found:
            (bin_dir / program).symlink_to(found)
    env = settings_environment(private_stack_settings(get_settings(), tmp_path / "state"))
    env["PATH"] = str(bin_dir)
    env.pop("JAVA_HOME", None)
    result = run_cli("up", env={**env, "JAVA_HOME": ""})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: Kafka needs Java but `java` is not on PATH")
    assert not (tmp_path / "state" / "run").exists()  # nothing was started


def test_unknown_service_is_a_clear_error(run_cli: Run) -> None:
    result = run_cli("logs", "zookeeper")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "error: unknown service 'zookeeper'; expected one of kafka, redis, prefect"
    )


def test_status_of_a_stopped_stack_exits_1(run_cli: Run, tmp_path: Path) -> None:
    env = settings_environment(private_stack_settings(get_settings(), tmp_path / "state"))
    result = run_cli("status", "--json", env=env)
    assert result.returncode == 1
    assert [s["healthy"] for s in json.loads(result.stdout)] == [False, False, False]
    assert os.environ.get("BACKBEAT_STACK_STATE_DIR") != env["BACKBEAT_STACK_STATE_DIR"]


def test_topics_creates_what_is_missing_and_nothing_twice(
    fresh_kafka: Settings, run_cli: Run
) -> None:
    from backbeat.kafka.admin import admin_client
    from backbeat.kafka.topics import ALL_TOPICS

    env = settings_environment(fresh_kafka)
    admin = admin_client(fresh_kafka.kafka)
    admin.delete_topics(["offers"])["offers"].result(timeout=30)
    for _ in range(50):  # deletion completes in the background
        if "offers" not in admin.list_topics(timeout=10).topics:
            break
        time.sleep(0.2)
    first = run_cli("topics", "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["created"] == ["offers"]
    second = run_cli("topics", env=env)
    assert second.returncode == 0 and second.stderr.count("exists") == len(ALL_TOPICS)
    unreachable = run_cli("topics", env={"BACKBEAT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"})
    assert unreachable.returncode == 1 and "is not reachable" in unreachable.stderr
