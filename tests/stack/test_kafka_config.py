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
