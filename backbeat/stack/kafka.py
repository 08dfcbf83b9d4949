"""Apache Kafka in KRaft combined mode (broker and controller in one JVM): one node, or a
cluster of one node per address in `BACKBEAT_KAFKA_BOOTSTRAP_SERVERS`.

A cluster's nodes are all controllers (a static quorum: it stands while a majority does)
and brokers; its topics get `default.replication.factor` min(3, nodes) and
`min.insync.replicas` 2 from three nodes on, so with `acks=all` (Backbeat's producers are
idempotent, which implies it) a write is on two brokers before it counts, and one broker
can stop without losing or refusing a write.
"""

from __future__ import annotations

import base64
import os
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from backbeat.kafka.admin import broker_ids, ensure_topics
from backbeat.kafka.topics import ALL_TOPICS
from backbeat.settings import Settings
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
    host: str,
    port: int,
    controller_port: int,
    log_dir: Path,
    partitions: int,
    node: int = 0,
    controllers: Sequence[str] = (),
) -> str:
    """server.properties for node `node` (0-based) of a cluster that is both broker and
    controller: alone (no `controllers`), or one of `controllers` (host:port of every node's
    controller listener, in node order)."""
    nodes = max(len(controllers), 1)
    replicas, min_isr = str(min(3, nodes)), str(2 if nodes >= 3 else 1)
    if controllers:
        quorum = {
            "controller.quorum.voters": ",".join(
                f"{index + 1}@{address}" for index, address in enumerate(controllers)
            )
        }
    else:
        quorum = {"controller.quorum.bootstrap.servers": f"{host}:{controller_port}"}
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node + 1),
        **quorum,
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(log_dir),
        "num.partitions": str(partitions),
        # Internal and new topics: as many replicas as there are brokers, up to 3.
        "default.replication.factor": replicas,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": replicas,
        "transaction.state.log.replication.factor": replicas,
        "transaction.state.log.min.isr": min_isr,
        "share.coordinator.state.topic.replication.factor": replicas,
        "share.coordinator.state.topic.min.isr": min_isr,
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _servers(settings: KafkaSettings) -> list[tuple[str, int]]:
    servers = []
    for server in settings.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        servers.append((host, int(port)))
    return servers


class KafkaService(LocalService):
    """Node k (0-based) is the k-th broker of `BACKBEAT_KAFKA_BOOTSTRAP_SERVERS`; its
    controller listens on `BACKBEAT_STACK_KAFKA_CONTROLLER_PORT` + k."""

    kind = "kafka"
    marker = "kafka.Kafka"

    @classmethod
    def nodes(cls, settings: Settings) -> int:
        return len(_servers(settings.kafka))

    @property
    def host(self) -> str:
        return _servers(self.settings.kafka)[self.node][0]

    @property
    def port(self) -> int:
        return _servers(self.settings.kafka)[self.node][1]

    @property
    def controller_port(self) -> int:
        return self.settings.stack.kafka_controller_port + self.node

    @property
    def setting(self) -> str:
        return KafkaSettings.env_name("bootstrap_servers")

    def ports(self) -> Sequence[int]:
        return (self.port, self.controller_port)

    def _controllers(self) -> list[str]:
        """Every node's controller address, when there are several nodes."""
        if self.node_count == 1:
            return []
        base = self.settings.stack.kafka_controller_port
        return [f"{host}:{base + k}" for k, (host, _) in enumerate(_servers(self.settings.kafka))]

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
                self.controller_port,
                self._log_dir,
                self.settings.kafka.topic_partitions,
                self.node,
                self._controllers(),
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

    def _cluster_id(self) -> str:
        """One id for every node of the cluster, kept beside their folders."""
        if self.node_count == 1:
            return new_cluster_id()
        path = self.state_dir / "kafka-cluster-id"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new_cluster_id())
        return path.read_text().strip()

    def _format_storage(self) -> None:
        # One node forms its quorum alone (--standalone); a cluster's is static (the voters).
        standalone = ["--standalone"] if self.node_count == 1 else []
        result = subprocess.run(
            self._java_argv(
                "kafka.tools.StorageTool",
                "format",
                *standalone,
                "-t",
                self._cluster_id(),
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
        """This node answers as its own broker."""
        alone = self.settings.kafka.model_copy(update={"bootstrap_servers": self.address})
        return self.node + 1 in broker_ids(alone)

    def after_ready(self, progress: Progress) -> None:
        if not self.is_last_node:
            return
        created = ensure_topics(self.settings.kafka, ALL_TOPICS)
        if created:
            progress(f"created topics: {', '.join(created)}")
