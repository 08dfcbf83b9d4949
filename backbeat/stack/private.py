"""A second, private stack beside the default one: free ports and its own state directory.

Tests and benchmarks use it so they never touch a developer's running stack.
"""

from __future__ import annotations

import socket
from pathlib import Path

from backbeat.settings import Settings, with_overrides


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports_in_a_row(count: int) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1 (a Redis Cluster's nodes,
    a Kafka cluster's controllers)."""
    while True:
        first = free_port()
        if first + count > 65536:
            continue
        taken = False
        for port in range(first + 1, first + count):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    taken = True
                    break
        if not taken:
            return first


def private_cluster_settings(base: Settings, state_dir: Path, nodes: int = 3) -> Settings:
    """`private_stack_settings` with a Kafka cluster of `nodes` brokers and a Redis Cluster
    of `nodes` masters: the scale-out path, on one machine."""
    settings = private_stack_settings(base, state_dir)
    brokers = ",".join(f"127.0.0.1:{free_port()}" for _ in range(nodes))
    return with_overrides(
        settings,
        kafka={"bootstrap_servers": brokers},
        redis={"url": f"redis://127.0.0.1:{free_ports_in_a_row(nodes)}/0", "cluster": True},
        stack={"kafka_controller_port": free_ports_in_a_row(nodes), "redis_cluster_masters": nodes},
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
