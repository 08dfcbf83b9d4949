from __future__ import annotations

import socket
from pathlib import Path

import pytest

from backbeat.stack.errors import PortInUse, PrerequisiteMissing, StackError
from backbeat.stack.prerequisites import (
    find_java,
    parse_java_version,
    require_free_port,
    require_loopback,
    require_program,
)


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_292"', 8),
        ('openjdk version "21" 2023-09-19', 21),
        ("no version here", None),
    ],
)
def test_parse_java_version(output: str, major: int | None) -> None:
    assert parse_java_version(output) == major


def test_java_missing_from_path_is_a_prerequisite_error(tmp_path: Path) -> None:
    with pytest.raises(PrerequisiteMissing, match=r"`java` is not on PATH.*JAVA_HOME"):
        find_java({"PATH": str(tmp_path)})


def test_java_home_wins_over_path(tmp_path: Path) -> None:
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\n")
    assert find_java({"JAVA_HOME": str(tmp_path / "jdk"), "PATH": ""}) == java


def test_missing_program_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PrerequisiteMissing, match="apt-get install redis-server"):
        require_program(
            "redis-server", "Redis", "apt-get install redis-server", {"PATH": str(tmp_path)}
        )


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    require_loopback(host, "BACKBEAT_X")


@pytest.mark.parametrize("host", ["kafka.example.com", "192.0.2.10"])
def test_remote_hosts_are_refused_by_the_local_stack(host: str) -> None:
    with pytest.raises(StackError, match="BACKBEAT_X points at"):
        require_loopback(host, "BACKBEAT_X")


def test_port_in_use_names_the_setting_to_change() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(
            PortInUse, match=f"127.0.0.1:{port} is already in use.*BACKBEAT_REDIS_URL"
        ):
            require_free_port("127.0.0.1", port, "redis", "BACKBEAT_REDIS_URL")
    require_free_port("127.0.0.1", port, "redis", "BACKBEAT_REDIS_URL")
