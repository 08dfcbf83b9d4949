"""Redis from Debian's `redis-server`, in memory only (losing it loses no history): one
server, or with `BACKBEAT_REDIS_CLUSTER` a Redis Cluster of `redis_cluster_masters` masters
on consecutive ports, formed by the last node once all answer (each master gets an equal
range of the 16,384 slots; no replicas: the store is rebuilt from Kafka, not failed over)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import redis

from backbeat.settings import Settings
from backbeat.settings.redis import RedisSettings
from backbeat.stack.errors import ServiceFailedToStart, StackError
from backbeat.stack.prerequisites import require_program
from backbeat.stack.service import LocalService, Progress, base_environment

SLOTS = 16384
#: A cluster node also listens on its port + this, for the other nodes (the cluster bus).
CLUSTER_BUS_OFFSET = 10000


class RedisService(LocalService):
    kind = "redis"
    marker = "redis-server"

    @classmethod
    def nodes(cls, settings: Settings) -> int:
        return settings.stack.redis_cluster_masters if settings.redis.cluster else 1

    @property
    def host(self) -> str:
        return self.settings.redis.url.host or "127.0.0.1"

    @property
    def _first_port(self) -> int:
        """The first node's port: the Redis URL's."""
        return self.settings.redis.url.port or 6379

    @property
    def port(self) -> int:
        return self._first_port + self.node

    @property
    def setting(self) -> str:
        return RedisSettings.env_name("url")

    def ports(self) -> Sequence[int]:
        if self.settings.redis.cluster:
            return (self.port, self.port + CLUSTER_BUS_OFFSET)
        return (self.port,)

    def check_prerequisites(self) -> None:
        if self.settings.redis.cluster and self.port + CLUSTER_BUS_OFFSET > 65535:
            raise StackError(
                f"{self.name} would listen on {self.port}, but a Redis Cluster node's port "
                f"must be at most {65535 - CLUSTER_BUS_OFFSET} (its cluster bus is the port "
                f"+ {CLUSTER_BUS_OFFSET}); change {self.setting}"
            )
        super().check_prerequisites()

    def check_programs(self) -> None:
        self._server = require_program(
            "redis-server", "Redis", "install it (Debian: apt-get install redis-server)"
        )

    def prepare(self, progress: Progress) -> None:
        # A config file, not argv, so a password never shows in `ps`.
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "redis.conf"
        lines = [
            f"bind {self.host}",
            f"port {self.port}",
            "protected-mode yes",
            'save ""',
            "appendonly no",
            f"dir {self.data_dir}",
            f"maxmemory {self.settings.redis.maxmemory_mb}mb",
            f"maxmemory-policy {self.settings.redis.maxmemory_policy}",
        ]
        if self.settings.redis.cluster:
            lines += ["cluster-enabled yes", "cluster-config-file nodes.conf"]
        if self.settings.redis.password:
            password = self.settings.redis.password.get_secret_value()
            lines += [f"requirepass {password}", f"masterauth {password}"]
        config.touch(mode=0o600)
        config.write_text("\n".join(lines) + "\n")

    def command(self) -> tuple[Sequence[str], Mapping[str, str]]:
        return [str(self._server), str(self.data_dir / "redis.conf")], base_environment()

    def _client(self, node: int) -> redis.Redis:
        """A plain client of one node (the cluster client needs the cluster formed)."""
        password = self.settings.redis.password
        return redis.Redis(
            host=self.host,
            port=self._first_port + node,
            password=password.get_secret_value() if password else None,
            socket_timeout=1.0,
            socket_connect_timeout=1.0,
        )

    def is_ready(self) -> bool:
        try:
            with self._client(self.node) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def after_ready(self, progress: Progress) -> None:
        if self.settings.redis.cluster and self.is_last_node:
            self._form_cluster(progress)

    def _form_cluster(self, progress: Progress) -> None:
        """Give each master its slots and introduce them to the first, unless done before
        (a restarted node finds the cluster again in its nodes.conf)."""
        clients = [self._client(node) for node in range(self.node_count)]
        try:
            if all(_cluster_state(client) == "ok" for client in clients):
                return
            for node, client in enumerate(clients):
                if int(_cluster_info(client)["cluster_slots_assigned"]) == 0:
                    first = node * SLOTS // self.node_count
                    last = (node + 1) * SLOTS // self.node_count - 1
                    client.cluster("ADDSLOTSRANGE", first, last)
            for client in clients[1:]:
                client.cluster("MEET", self.host, self._first_port)
            deadline = time.monotonic() + self.settings.stack.start_timeout_s
            while not all(_cluster_state(client) == "ok" for client in clients):
                if time.monotonic() > deadline:
                    raise ServiceFailedToStart(
                        f"the Redis Cluster did not form in time; see {self.process.log_file}"
                    )
                time.sleep(0.1)
            progress(f"formed a Redis Cluster of {self.node_count} masters")
        finally:
            for client in clients:
                client.close()


def _cluster_info(client: redis.Redis) -> dict[str, str]:
    info: dict[str, str] = client.cluster("INFO")  # redis-py parses it
    return info


def _cluster_state(client: redis.Redis) -> str:
    return _cluster_info(client).get("cluster_state", "")
