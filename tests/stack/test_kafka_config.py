from __future__ import annotations

import base64
from pathlib import Path

from backbeat.stack.kafka import new_cluster_id, server_properties


def _parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_server_properties_describe_a_one_node_kraft_cluster(tmp_path: Path) -> None:
    props = _parse(server_properties("127.0.0.1", 19092, 19093, tmp_path / "data", 6))
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["log.dirs"] == str(tmp_path / "data")
    assert props["num.partitions"] == "6"
    assert props["offsets.topic.replication.factor"] == "1"
    # Topics are created on purpose, with the configured partitions, never by a typo.
    assert props["auto.create.topics.enable"] == "false"


def test_cluster_ids_are_kafka_uuids() -> None:
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cluster_id in ids:
        assert len(cluster_id) == 22 and not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_server_properties_of_one_node_of_three(tmp_path: Path) -> None:
    controllers = ["127.0.0.1:19093", "127.0.0.1:19094", "127.0.0.1:19095"]
    props = _parse(
        server_properties("127.0.0.1", 19192, 19094, tmp_path, 4, node=1, controllers=controllers)
    )
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:19093,2@127.0.0.1:19094,3@127.0.0.1:19095"
    )
    assert "controller.quorum.bootstrap.servers" not in props
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19192,CONTROLLER://127.0.0.1:19094"
    # Every write on two of three brokers before it counts: one can stop, nothing is lost.
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["offsets.topic.replication.factor"] == "3"
