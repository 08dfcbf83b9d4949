"""Records Kafka deleted before a dataflow read them are never skipped silently: the source
stops and names them (the default), or, when the operator accepts the loss, counts them and
goes on from the oldest record held. Retention is played by Kafka's own DeleteRecords, which
moves a partition's start exactly as a deleted segment does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition
from prometheus_client import REGISTRY

from backbeat.kafka.admin import admin_client, ensure_topics, topic_configs
from backbeat.kafka.topics import ALL_TOPICS
from backbeat.settings import Settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.warehouse import open_warehouse
from dataflows.connectors.data_loss import DataLossError, retention_gap
from dataflows.connectors.kafka_source import KafkaTopicsSource
from tests.dataflows.test_kafka_source import _drain
from tests.kafka.producers import exact_producer
from tests.waits import PATIENCE_S, eventually


def test_a_readable_offset_is_no_gap() -> None:
    assert retention_gap("t", 0, next_offset=5, low=5, high=9) is None
    assert retention_gap("t", 0, next_offset=9, low=5, high=9) is None  # the end: next record
    assert retention_gap("t", 0, next_offset=-2, low=5, high=9) is None  # from the beginning


def test_an_offset_before_the_log_start_loses_the_records_between() -> None:
    gap = retention_gap("listen_events", 2, next_offset=3, low=1_003, high=2_000)
    assert gap is not None and gap.lost == 1_000 and gap.resume_at == 1_003
    message = gap.describe("loader")
    for part in ("listen_events partition 2", "1,000 records", "offsets 3..1,002", "FAIL_ON"):
        assert part in message


def test_an_offset_beyond_the_end_means_the_log_was_made_again() -> None:
    gap = retention_gap("offers", 0, next_offset=50, low=0, high=10)
    assert gap is not None and gap.ahead and gap.lost is None and gap.resume_at == 0
    assert "beyond the end of the log" in gap.describe("sessions")


def _produce(settings: Settings, topic: str, count: int) -> None:
    producer = exact_producer(settings.kafka)
    for i in range(count):
        producer.produce(topic, f'{{"n":{i}}}'.encode(), partition=0)
    assert producer.flush(PATIENCE_S) == 0


def _expire(settings: Settings, topic: str, before: int) -> None:
    """Delete the partition's records below `before`, as retention would."""
    admin = admin_client(settings.kafka)  # held: its futures end with it
    futures = admin.delete_records([TopicPartition(topic, 0, before)])
    for future in futures.values():
        assert future.result(PATIENCE_S).low_watermark == before


def test_resuming_past_retention_stops_and_names_the_loss(fresh_kafka: Settings) -> None:
    _produce(fresh_kafka, "auth_events", 10)
    _expire(fresh_kafka, "auth_events", 6)
    source = KafkaTopicsSource(fresh_kafka.kafka, ["auth_events"], exit_when_idle_s=0.3)
    with pytest.raises(
        DataLossError, match=r"auth_events partition 0 .* 3 records \(offsets 3..5\)"
    ):
        source.build_part("read", "auth_events#0", 3)


def test_with_the_loss_accepted_it_goes_on_from_the_oldest_record_and_counts(
    fresh_kafka: Settings,
) -> None:
    _produce(fresh_kafka, "auth_events", 10)
    _expire(fresh_kafka, "auth_events", 6)
    settings = with_overrides(fresh_kafka, kafka={"fail_on_data_loss": False})
    source = KafkaTopicsSource(
        settings.kafka, ["auth_events"], exit_when_idle_s=0.3, dataflow="lossy"
    )
    part = source.build_part("read", "auth_events#0", 3)
    assert [r.offset for r in _drain(part, PATIENCE_S)] == [6, 7, 8, 9]
    part.close()
    labels = {"topic": "auth_events", "partition": "0"}
    assert REGISTRY.get_sample_value("backbeat_lossy_kafka_records_lost_total", labels) == 3


def test_records_expiring_while_the_partition_is_behind_are_not_skipped(
    fresh_kafka: Settings,
) -> None:
    """The consumer's position falls below the log start while it runs: with
    `auto.offset.reset=error` that is an error event, not a silent jump to the end."""
    _produce(fresh_kafka, "page_view_events", 10)
    source = KafkaTopicsSource(fresh_kafka.kafka, ["page_view_events"], exit_when_idle_s=0.3)
    part = source.build_part("read", "page_view_events#0", 2)
    _expire(fresh_kafka, "page_view_events", 8)
    # The fetcher may have read ahead before the deletion: start its position again at 2.
    part._consumer.seek(TopicPartition("page_view_events", 0, 2))
    with pytest.raises(DataLossError, match=r"6 records \(offsets 2..7\)"):
        _drain(part, PATIENCE_S)
    part.close()


def test_the_loader_refuses_to_go_on_past_retention(
    fresh_kafka: Settings, eventsim_real: Path
) -> None:
    """End to end: a loader that was down while retention deleted what it had not read exits
    with the loss on stderr and writes nothing after the gap; accepting it loads the rest."""
    views = eventsim_real / "kafka_fork_zipcodecore" / "output" / "page_view_events"
    lines = views.read_bytes().splitlines()[:10]
    env = {**os.environ, **settings_environment(fresh_kafka)}
    load = [sys.executable, "-m", "backbeat", "load", "--exit-when-idle", "2"]

    def produce(part: list[bytes]) -> None:
        producer = exact_producer(fresh_kafka.kafka)
        for line in part:
            producer.produce("page_view_events", line, partition=0)
        assert producer.flush(PATIENCE_S) == 0

    def stored() -> int:
        return open_warehouse(fresh_kafka).raw_counts().get("page_view_events", 0)

    produce(lines[:4])
    loaded = subprocess.run(load, env=env, capture_output=True, text=True, timeout=PATIENCE_S)
    assert loaded.returncode == 0, loaded.stderr
    assert stored() == 4
    produce(lines[4:])  # produced while the loader is down...
    _expire(fresh_kafka, "page_view_events", 7)  # ...and three expire before it is back
    refused = subprocess.run(load, env=env, capture_output=True, text=True, timeout=PATIENCE_S)
    assert refused.returncode != 0
    assert "page_view_events partition 0" in refused.stderr
    assert "3 records (offsets 4..6) are lost" in refused.stderr
    assert stored() == 4
    accept = {**env, "BACKBEAT_KAFKA_FAIL_ON_DATA_LOSS": "false"}
    resumed = subprocess.run(load, env=accept, capture_output=True, text=True, timeout=PATIENCE_S)
    assert resumed.returncode == 0, resumed.stderr
    assert stored() == 7


def test_topics_are_bounded_by_size_and_time(fresh_kafka: Settings) -> None:
    configs = topic_configs(fresh_kafka.kafka, ALL_TOPICS)
    expected = fresh_kafka.kafka.topic_config()
    assert expected["retention.bytes"] != "-1"
    for topic in ALL_TOPICS:
        assert {k: configs[topic][k] for k in expected} == expected, topic
    # Topics made before the bounds (or by hand) get them at the next `backbeat up`.
    tighter = with_overrides(
        fresh_kafka, kafka={"topic_retention_bytes": 1_048_576, "topic_retention_hours": 2}
    )
    assert ensure_topics(tighter.kafka, ALL_TOPICS) == []

    def bounds() -> tuple[str, str]:
        configs = topic_configs(fresh_kafka.kafka, ["listen_events"])["listen_events"]
        return configs["retention.bytes"], configs["retention.ms"]

    # The controller has taken the change when the alter returns; the broker that answers
    # describe applies it from the metadata log a moment later.
    eventually(lambda: bounds() == ("1048576", "7200000"), "the tighter bounds described")
