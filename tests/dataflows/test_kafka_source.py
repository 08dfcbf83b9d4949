"""The source's end-of-partition handling, against a real broker: it must stop when idle
even when the end-of-partition event arrives in the same read as the last records."""

from __future__ import annotations

import threading
import time

from backbeat.settings import Settings
from dataflows.connectors.kafka_source import EndOfPartitionClock, KafkaTopicsSource
from tests.kafka.producers import exact_producer
from tests.waits import PATIENCE_S


def test_end_reported_with_the_last_records_counts_as_drained() -> None:
    """The order that once hung the loader: records, then the end, in one read."""
    clock = EndOfPartitionClock()
    clock.record()
    clock.record()
    clock.end(now=100.0)
    assert clock.at_end and clock.idle_for(now=103.0) == 3.0


def test_a_record_after_the_end_means_not_drained() -> None:
    clock = EndOfPartitionClock()
    clock.end(now=100.0)
    clock.record()
    assert not clock.at_end and clock.idle_for(now=200.0) == 0.0
    clock.end(now=150.0)
    clock.end(now=160.0)  # repeated ends keep the first time
    assert clock.idle_for(now=170.0) == 20.0


def _drain(part: object, deadline_s: float) -> list:
    records: list = []
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            records.extend(part.next_batch())  # type: ignore[attr-defined]
        except StopIteration:
            return records
        time.sleep(0.01)
    raise AssertionError(
        f"the partition did not stop within {deadline_s}s ({len(records)} records read)"
    )


def test_stops_after_idle_even_when_eof_comes_with_the_last_records(fresh_kafka: Settings) -> None:
    producer = exact_producer(fresh_kafka.kafka)
    for i in range(50):
        producer.produce("auth_events", f'{{"n":{i}}}'.encode(), partition=1)
    producer.flush(30)
    time.sleep(1)  # let everything be on the broker, so one read sees records and then the end
    source = KafkaTopicsSource(
        fresh_kafka.kafka, ["auth_events"], batch_size=1000, exit_when_idle_s=0.5
    )
    assert source.list_parts() == [f"auth_events#{p}" for p in range(4)]
    part = source.build_part("read", "auth_events#1", None)
    records = _drain(part, deadline_s=PATIENCE_S)
    assert [r.offset for r in records] == list(range(50))
    assert part.snapshot() == 50
    part.close()


def test_resumes_from_the_snapshot_offset(fresh_kafka: Settings) -> None:
    producer = exact_producer(fresh_kafka.kafka)
    for i in range(10):
        producer.produce("listen_events", b"{}", partition=0)
    producer.flush(30)
    source = KafkaTopicsSource(fresh_kafka.kafka, ["listen_events"], exit_when_idle_s=0.3)
    part = source.build_part("read", "listen_events#0", 7)
    assert [r.offset for r in _drain(part, 20)] == [7, 8, 9]
    part.close()


def test_stop_event_ends_the_partition(fresh_kafka: Settings) -> None:
    stop = threading.Event()
    part = KafkaTopicsSource(fresh_kafka.kafka, ["offers"], stop=stop).build_part(
        "read", "offers#0", None
    )
    part.next_batch()
    stop.set()
    assert _drain(part, 5) == []
    part.close()


def test_each_dataflow_reports_its_lag_under_its_own_name() -> None:
    from dataflows.connectors.kafka_source import lag_gauge

    assert lag_gauge("loader")._name == "backbeat_loader_kafka_lag_records"
    assert lag_gauge("sessions")._name == "backbeat_sessions_kafka_lag_records"
    assert lag_gauge("sessions") is lag_gauge("sessions")  # registered once
