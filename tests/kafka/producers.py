"""The producer tests write with: idempotent, as the platform's own producers are. On a slow
machine a produce request can time out after the broker wrote it; a plain retry would then
write the record twice, and a test counting records would fail for the producer's sake."""

from __future__ import annotations

from typing import Any

from confluent_kafka import Producer

from backbeat.settings.kafka import KafkaSettings


def exact_producer(settings: KafkaSettings, **config: Any) -> Producer:
    return Producer(
        settings.client_config(**{"log_level": 0, "enable.idempotence": True, **config})
    )
