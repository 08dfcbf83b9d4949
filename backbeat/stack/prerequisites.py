"""Checks that run before anything starts, each failing with a fix a person can apply."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path

from backbeat.stack.errors import PortInUse, PrerequisiteMissing, StackError

MIN_JAVA = 17
JAVA_HINT = "install Java 17+ (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"


def find_java(env: Mapping[str, str]) -> Path:
    """The `java` to run Kafka with: $JAVA_HOME/bin/java, else the one on PATH."""
    java_home = env.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return Path(java_home) / "bin" / "java"
    found = shutil.which("java", path=env.get("PATH", ""))
    if found is None:
        raise PrerequisiteMissing(f"Kafka needs Java but `java` is not on PATH: {JAVA_HINT}")
    return Path(found)


def parse_java_version(text: str) -> int | None:
    """The major version in `java -version` output: 8 for "1.8.0_292", 17 for "17.0.15"."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def java_major_version(java: Path) -> int:
    """The major version of the Java at `java`."""
    result = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=False)
    major = parse_java_version(result.stderr + result.stdout)
    if major is None:
        raise PrerequisiteMissing(f"could not read the version of {java}: {JAVA_HINT}")
    return major


def require_java(env: Mapping[str, str]) -> Path:
    """A Java that can run Kafka 4 (17 or newer)."""
    java = find_java(env)
    major = java_major_version(java)
    if major < MIN_JAVA:
        raise PrerequisiteMissing(
            f"Kafka 4 needs Java {MIN_JAVA}+, {java} is Java {major}: {JAVA_HINT}"
        )
    return java


def require_program(
    name: str, purpose: str, hint: str, env: Mapping[str, str] | None = None
) -> Path:
    """The path of `name` on PATH, or a one-line error saying how to install it."""
    path = (env or os.environ).get("PATH", "")
    found = shutil.which(name, path=path)
    if found is None:
        raise PrerequisiteMissing(f"{purpose} needs `{name}`, which is not on PATH: {hint}")
    return Path(found)


def require_loopback(host: str, setting: str) -> None:
    """The local stack only binds to this machine; a remote address is a configuration error."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise StackError(
            f"{setting} points at {host}, not this machine; the local stack only runs on "
            "127.0.0.1 (unset it, or manage that service elsewhere)"
        )


def require_free_port(host: str, port: int, service: str, setting: str) -> None:
    """Fail if something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:
            raise PortInUse(
                f"{service} cannot start: {host}:{port} is already in use by another process; "
                f"stop that process or choose another port with {setting}"
            )
