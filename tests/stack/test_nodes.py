"""Which nodes the settings ask the local stack for, and what they would bind (no servers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.stack import StackError, status
from backbeat.stack.manager import services


def _cluster(tmp_path: Path, **kafka: object) -> Settings:
    return with_overrides(
        get_settings(),
        kafka={"bootstrap_servers": "127.0.0.1:29092,127.0.0.1:29192,127.0.0.1:29292", **kafka},
        redis={"url": "redis://127.0.0.1:26379/0", "cluster": True},
        stack={"state_dir": tmp_path, "kafka_controller_port": 29093},
    )


def test_one_node_per_broker_address_and_per_redis_master(tmp_path: Path) -> None:
    chosen = services(_cluster(tmp_path), ["kafka", "redis"])
    assert [(s.name, s.address) for s in chosen] == [
        ("kafka-1", "127.0.0.1:29092"),
        ("kafka-2", "127.0.0.1:29192"),
        ("kafka-3", "127.0.0.1:29292"),
        ("redis-1", "127.0.0.1:26379"),
        ("redis-2", "127.0.0.1:26380"),
        ("redis-3", "127.0.0.1:26381"),
    ]
    assert [s.ports() for s in chosen[:3]] == [(29092, 29093), (29192, 29094), (29292, 29095)]
    # One node can be named alone (to stop one broker), and nothing runs yet.
    (second,) = services(_cluster(tmp_path), ["kafka-2"])
    assert second.name == "kafka-2" and second.process.pid() is None
    assert not any(s.healthy for s in status(_cluster(tmp_path), ["redis-3"]))


def test_a_single_node_keeps_its_plain_name(tmp_path: Path) -> None:
    settings = with_overrides(get_settings(), stack={"state_dir": tmp_path})
    assert [s.name for s in services(settings)] == ["kafka", "redis", "prefect"]


def test_unknown_node_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(StackError, match=r"'kafka-4'.*kafka-3"):
        services(_cluster(tmp_path), ["kafka-4"])


def test_nodes_that_would_bind_one_port_are_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    from backbeat.stack import up

    # The second broker on the first one's controller port.
    clashing = _cluster(tmp_path, bootstrap_servers="127.0.0.1:29092,127.0.0.1:29093")
    with pytest.raises(StackError, match="kafka-1 and kafka-2 would both bind port 29093"):
        up(clashing, ["kafka"])
    assert not (tmp_path / "run").exists()


def test_a_redis_cluster_port_that_leaves_no_room_for_its_bus_is_refused(tmp_path: Path) -> None:
    from backbeat.stack import up

    settings = with_overrides(_cluster(tmp_path), redis={"url": "redis://127.0.0.1:60000/0"})
    with pytest.raises(StackError, match="must be at most 55535"):
        up(settings, ["redis"])
