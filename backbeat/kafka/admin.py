"""Cluster-level operations: is the cluster there, and do our topics exist."""

from __future__ import annotations

import socket
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourceType,
)

from backbeat.settings.kafka import KafkaSettings


def admin_client(settings: KafkaSettings) -> AdminClient:
    """An admin client configured like every other Backbeat client."""
    return AdminClient(settings.client_config())


def accepts_connections(settings: KafkaSettings, timeout_s: float = 2.0) -> bool:
    """True when some bootstrap server accepts a TCP connection: a cluster that is down
    says so at once (a metadata request would retry until its timeout)."""
    for server in settings.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


def broker_ids(settings: KafkaSettings, timeout_s: float = 2.0) -> set[int]:
    """The ids of the brokers a metadata request names, or none when the cluster cannot be
    reached."""
    # log_level 0: a probe of a cluster that is still starting would log every refused connect.
    admin = AdminClient(
        settings.client_config(**{"socket.connection.setup.timeout.ms": 1000, "log_level": 0})
    )
    try:
        return set(admin.list_topics(timeout=timeout_s).brokers)
    except KafkaException:
        return set()


def broker_count(settings: KafkaSettings, timeout_s: float = 2.0) -> int:
    """Brokers that answer a metadata request, or 0 when the cluster cannot be reached."""
    return len(broker_ids(settings, timeout_s))


def ensure_topics(
    settings: KafkaSettings, topics: Iterable[str], timeout_s: float = 30.0
) -> list[str]:
    """Create the topics that do not exist yet, and give every one of them the retention
    bounds of `settings` (`KafkaSettings.topic_config`); returns the names it created."""
    admin = admin_client(settings)
    # -1: the cluster's default.replication.factor
    replicas = settings.topic_replication_factor or -1
    config = settings.topic_config()
    names = list(topics)
    new = [NewTopic(name, settings.topic_partitions, replicas, config=config) for name in names]
    created = []
    for name, future in admin.create_topics(new, request_timeout=timeout_s).items():
        # Read the error instead of raising it: a caught exception's traceback would tie this
        # frame (and the admin client's librdkafka threads) into a cycle until the next GC.
        error = future.exception(timeout=timeout_s)
        if error is None:
            created.append(name)
        elif error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise error
    _bound_existing(admin, [name for name in names if name not in created], config, timeout_s)
    return created


def _bound_existing(
    admin: AdminClient, names: list[str], config: dict[str, str], timeout_s: float
) -> None:
    """Set the retention bounds on topics made before them (or by an older Backbeat)."""
    if not names:
        return
    resources = [
        ConfigResource(
            ResourceType.TOPIC,
            name,
            incremental_configs=[
                ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
                for key, value in config.items()
            ],
        )
        for name in names
    ]
    for future in admin.incremental_alter_configs(resources, request_timeout=timeout_s).values():
        error = future.exception(timeout=timeout_s)
        if error is not None:
            raise error


def topic_configs(
    settings: KafkaSettings, topics: Iterable[str], timeout_s: float = 10.0
) -> dict[str, dict[str, str]]:
    """The configs Kafka reports for `topics` (name -> key -> value)."""
    admin = admin_client(settings)
    futures = admin.describe_configs(
        [ConfigResource(ResourceType.TOPIC, name) for name in topics], request_timeout=timeout_s
    )
    return {
        resource.name: {key: entry.value for key, entry in future.result(timeout_s).items()}
        for resource, future in futures.items()
    }


def watermarks(
    settings: KafkaSettings, topics: Iterable[str], timeout_s: float = 10.0
) -> dict[tuple[str, int], tuple[int, int]]:
    """(low, high) offsets of every partition of `topics` that exist: the records Kafka
    still holds are low .. high - 1."""
    consumer = Consumer(settings.client_config(**{"group.id": "backbeat-watermarks"}))
    try:
        metadata = consumer.list_topics(timeout=timeout_s)
        found = {}
        for topic in topics:
            if topic not in metadata.topics:
                continue
            for partition in metadata.topics[topic].partitions:
                found[(topic, partition)] = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=timeout_s
                )
        return found
    finally:
        consumer.close()
