"""Apache Kafka in KRaft combined mode (broker and controller in one JVM), single node."""

from __future__ import annotations

import base64
import os
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from backbeat.kafka.admin import broker_count, ensure_topics
from backbeat.kafka.topics import ALL_TOPICS
from backbeat.settings.kafka import KafkaSettings
from backbeat.stack.errors import StackError
from backbeat.stack.kafka_jars import resolve_kafka_libs
from backbeat.stack.prerequisites import require_java
from backbeat.stack.service import LocalService, Progress, base_environment

_LOG4J2 = """\
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
      - name: kafka.Kafka
        level: INFO
"""


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (as Kafka's Uuid)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):  # Kafka avoids ids that read as a command-line flag
            return text


def server_properties(
    host: str, port: int, controller_port: int, log_dir: Path, partitions: int
) -> str:
    """server.properties for a one-node cluster that is both broker and controller."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"{host}:{controller_port}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(log_dir),
        "num.partitions": str(partitions),
        # One node: internal topics cannot have more replicas than brokers.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


class KafkaService(LocalService):
    name = "kafka"
    marker = "kafka.Kafka"

    @property
    def _first_server(self) -> tuple[str, int]:
        host, _, port = self.settings.kafka.bootstrap_servers.split(",")[0].strip().rpartition(":")
        return host, int(port)

    @property
    def host(self) -> str:
        return self._first_server[0]

    @property
    def port(self) -> int:
        return self._first_server[1]

    @property
    def setting(self) -> str:
        return KafkaSettings.env_name("bootstrap_servers")

    def ports(self) -> Sequence[int]:
        return (self.port, self.settings.stack.kafka_controller_port)

    def check_programs(self) -> None:
        self._java = require_java(os.environ)

    @property
    def _config_file(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def _log_dir(self) -> Path:
        return self.data_dir / "data"

    def prepare(self, progress: Progress) -> None:
        self._libs = resolve_kafka_libs(self.settings.stack, progress)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._config_file.write_text(
            server_properties(
                self.host,
                self.port,
                self.settings.stack.kafka_controller_port,
                self._log_dir,
                self.settings.kafka.topic_partitions,
            )
        )
        (self.data_dir / "log4j2.yaml").write_text(_LOG4J2)
        if not (self._log_dir / "meta.properties").is_file():
            progress("formatting Kafka storage (first start)")
            self._format_storage()

    def _java_argv(self, main: str, *args: str) -> list[str]:
        return [
            str(self._java),
            f"-Xmx{self.settings.stack.kafka_heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.yaml'}",
            "-cp",
            f"{self._libs}/*",
            main,
            *args,
        ]

    def _format_storage(self) -> None:
        cluster_id = new_cluster_id()
        result = subprocess.run(
            self._java_argv(
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cluster_id,
                "-c",
                str(self._config_file),
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            last = (result.stdout + result.stderr).strip().splitlines()[-1:]
            raise StackError(
                f"formatting Kafka storage in {self._log_dir} failed: {' '.join(last)}"
            )

    def command(self) -> tuple[Sequence[str], Mapping[str, str]]:
        return self._java_argv("kafka.Kafka", str(self._config_file)), base_environment()

    def is_ready(self) -> bool:
        return broker_count(self.settings.kafka) > 0

    def after_ready(self, progress: Progress) -> None:
        created = ensure_topics(self.settings.kafka, ALL_TOPICS)
        if created:
            progress(f"created topics: {', '.join(created)}")
