"""Backbeat's topics emptied between tests that share one Kafka: deleted and made again,
with every consumer group's committed offsets gone, so each test starts as on a new broker."""

from __future__ import annotations

from confluent_kafka import KafkaException

from backbeat.kafka.admin import admin_client, ensure_topics
from backbeat.kafka.topics import ALL_TOPICS
from backbeat.settings.kafka import KafkaSettings
from tests.waits import PATIENCE_S, eventually


def empty_topics(settings: KafkaSettings) -> None:
    admin = admin_client(settings)
    groups = [group.group_id for group in admin.list_consumer_groups().result().valid]
    for future in admin.delete_consumer_groups(groups).values() if groups else []:
        future.exception(timeout=PATIENCE_S)  # a group still in use is left alone
    existing = [t for t in admin.list_topics(timeout=PATIENCE_S).topics if t in ALL_TOPICS]
    for future in admin.delete_topics(existing).values() if existing else []:
        future.result(timeout=PATIENCE_S)
    eventually(
        lambda: not set(ALL_TOPICS) & set(admin.list_topics(timeout=PATIENCE_S).topics),
        "the old topics being deleted",
    )

    def created() -> bool:
        try:
            ensure_topics(settings, ALL_TOPICS)
        except KafkaException:  # the broker still finishing the deletion
            return False
        topics = admin.list_topics(timeout=PATIENCE_S).topics
        return all(
            name in topics
            and topics[name].partitions
            and all(p.leader >= 0 for p in topics[name].partitions.values())
            for name in ALL_TOPICS
        )

    eventually(created, "empty topics with a leader for every partition")
