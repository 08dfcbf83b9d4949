"""Produce to and consume from the Apache Kafka broker the session fixture started."""

from __future__ import annotations

import uuid

from confluent_kafka import Consumer, Producer, TopicPartition

from backbeat.kafka.admin import admin_client
from backbeat.kafka.topics import ALL_TOPICS
from backbeat.settings import Settings


def _consume(
    consumer: Consumer, count: int, timeout_s: float = 30.0
) -> list[tuple[int, int, bytes]]:
    """(partition, offset, value) of the next `count` records."""
    import time

    records: list[tuple[int, int, bytes]] = []
    deadline = time.monotonic() + timeout_s
    while len(records) < count and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        assert message.error() is None, message.error()
        records.append((message.partition(), message.offset(), message.value()))
    return records


def test_it_is_the_broker_we_started(local_stack: Settings) -> None:
    """The cluster answering is the one formatted in the fixture's state directory."""
    meta = local_stack.stack.state_dir / "kafka" / "data" / "meta.properties"
    cluster_id = dict(line.split("=", 1) for line in meta.read_text().splitlines() if "=" in line)[
        "cluster.id"
    ]
    metadata = admin_client(local_stack.kafka).list_topics(timeout=10)
    assert metadata.cluster_id == cluster_id
    assert set(ALL_TOPICS) <= set(metadata.topics)
    assert all(
        len(metadata.topics[t].partitions) == local_stack.kafka.topic_partitions for t in ALL_TOPICS
    )


def test_produce_consume_commit_and_resume(local_stack: Settings, tmp_topic: str) -> None:
    producer = Producer(local_stack.kafka.client_config(**{"enable.idempotence": True}))
    sent = [f"event-{i}".encode() for i in range(100)]
    for i, value in enumerate(sent):
        producer.produce(tmp_topic, key=f"user-{i % 7}".encode(), value=value)
    assert producer.flush(30) == 0

    group = f"group-{uuid.uuid4().hex[:8]}"
    config = local_stack.kafka.client_config(
        **{"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    first = Consumer(config)
    first.subscribe([tmp_topic])
    head = _consume(first, 40)
    assert len(head) == 40
    # Commit exactly what was read, per partition, then leave the group.
    last: dict[int, int] = {}
    for partition, offset, _ in head:
        last[partition] = max(offset, last.get(partition, -1))
    first.commit(
        offsets=[TopicPartition(tmp_topic, p, o + 1) for p, o in last.items()], asynchronous=False
    )
    first.close()

    second = Consumer(config)
    second.subscribe([tmp_topic])
    tail = _consume(second, 60)
    extra = _consume(second, 1, timeout_s=2)
    second.close()

    assert extra == []
    assert len(tail) == 60
    # Every record exactly once across the two consumers, and the resume started after the commit.
    assert sorted(v for *_, v in head + tail) == sorted(sent)
    for partition, offset, _ in tail:
        assert offset > last.get(partition, -1)
