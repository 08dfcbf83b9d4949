"""Kafka's jars, resolved from Maven Central once and cached outside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from backbeat.settings.stack import StackSettings
from backbeat.stack.errors import StackError
from backbeat.stack.prerequisites import require_program

_PACKAGED_POM = Path(__file__).parent / "_resources" / "kafka-pom.xml"
_CHECKOUT_POM = Path(__file__).parents[2] / "deployments" / "local" / "kafka" / "pom.xml"


def kafka_pom() -> Path:
    """The committed Maven project (`deployments/local/kafka/pom.xml`, copied into wheels)."""
    for pom in (_CHECKOUT_POM, _PACKAGED_POM):
        if pom.is_file():
            return pom
    raise StackError(
        f"Kafka's Maven project is missing (looked for {_CHECKOUT_POM}); reinstall backbeat"
    )


def kafka_libs_dir(stack: StackSettings) -> Path:
    """Where the jars of the configured Kafka version live once resolved."""
    return stack.cache_dir.expanduser() / f"kafka-{stack.kafka_version}" / "libs"


def is_resolved(stack: StackSettings) -> bool:
    return (kafka_libs_dir(stack) / f"kafka_2.13-{stack.kafka_version}.jar").is_file()


def resolve_kafka_libs(
    stack: StackSettings, progress: Callable[[str], None] = lambda _: None
) -> Path:
    """The directory of Kafka's jars, running Maven first if they are not cached yet.

    Maven writes into a temporary directory that is renamed into place, so an interrupted
    or concurrent resolution never leaves a half-filled classpath behind.
    """
    libs = kafka_libs_dir(stack)
    if is_resolved(stack):
        return libs
    mvn = require_program(
        "mvn", "Resolving Kafka's jars", "install Maven (Debian: apt-get install maven)"
    )
    progress(f"resolving Apache Kafka {stack.kafka_version} jars from Maven Central")
    libs.parent.mkdir(parents=True, exist_ok=True)
    staging = libs.parent / f"libs.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    result = subprocess.run(
        [
            str(mvn),
            "-q",
            "-B",
            "-f",
            str(kafka_pom()),
            f"-Dkafka.version={stack.kafka_version}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        detail = (result.stdout + result.stderr).strip().splitlines()[-3:]
        raise StackError(
            f"Maven could not resolve Apache Kafka {stack.kafka_version}: {' | '.join(detail)}"
        )
    try:
        staging.rename(libs)
    except OSError:
        if not is_resolved(stack):  # not a concurrent resolution that won the race
            raise
        shutil.rmtree(staging, ignore_errors=True)
    return libs
