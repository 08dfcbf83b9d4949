"""A second, private stack beside the default one: free ports and its own state directory.

Tests and benchmarks use it so they never touch a developer's running stack.
"""

from __future__ import annotations

import socket
from pathlib import Path

from backbeat.settings import Settings, with_overrides
from backbeat.stack.redis import CLUSTER_BUS_OFFSET


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports_in_a_row(count: int, *, also_free_at: int = 0) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1 (a Redis Cluster's nodes,
    a Kafka cluster's controllers), each port + `also_free_at` free as well (a Redis
    Cluster node's bus port is its port + 10,000)."""
    while True:
        first = free_port()
        ports = list(range(first, first + count))
        wanted = ports + [port + also_free_at for port in ports] if also_free_at else ports
        if max(wanted) < 65536 and all(_is_free(port) for port in wanted[1:]):
            return first


def private_cluster_settings(
    base: Settings, state_dir: Path, brokers: int = 3, masters: int = 3
) -> Settings:
    """`private_stack_settings` with a Kafka cluster of `brokers` brokers and a Redis Cluster
    of `masters` masters: the scale-out path, on one machine."""
    settings = private_stack_settings(base, state_dir)
    servers = ",".join(f"127.0.0.1:{free_port()}" for _ in range(brokers))
    redis_port = free_ports_in_a_row(masters, also_free_at=CLUSTER_BUS_OFFSET)
    return with_overrides(
        settings,
        kafka={"bootstrap_servers": servers},
        redis={"url": f"redis://127.0.0.1:{redis_port}/0", "cluster": True},
        stack={
            "kafka_controller_port": free_ports_in_a_row(brokers),
            "redis_cluster_masters": masters,
        },
    )


def private_stack_settings(base: Settings, state_dir: Path) -> Settings:
    """`base` with every local service on a free port and state under `state_dir`."""
    return with_overrides(
        base,
        kafka={"bootstrap_servers": f"127.0.0.1:{free_port()}"},
        redis={"url": f"redis://127.0.0.1:{free_port()}/0"},
        prefect={"api_url": f"http://127.0.0.1:{free_port()}/api"},
        stack={"state_dir": state_dir, "kafka_controller_port": free_port()},
    )
