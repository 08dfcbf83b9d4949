"""Everything real eventsim wrote must decode; the Kafka fork's bytes must survive a round trip."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from backbeat.events import TOPIC_SCHEMAS, decode, encode
from backbeat.events.sources import EventFileReader, input_files, read_lines, topic_from_file_name


def _kafka_fork_files(eventsim_real: Path) -> list[Path]:
    return sorted((eventsim_real / "kafka_fork_zipcodecore" / "output").iterdir())


def test_every_kafka_fork_record_round_trips_to_the_same_bytes(eventsim_real: Path) -> None:
    seen = Counter[str]()
    for path in _kafka_fork_files(eventsim_real):
        topic = path.name
        assert topic in TOPIC_SCHEMAS
        for raw in path.read_bytes().splitlines(keepends=True):
            record = decode(topic, raw)
            assert encode(record) == raw, f"{path.name}: {raw!r}"
            seen[topic] += 1
    assert seen == {"page_view_events": 92, "listen_events": 76, "auth_events": 4}


def test_fluentd_reserialized_listen_events_decode(eventsim_real: Path) -> None:
    path = eventsim_real / "kafka_fork_zipcodecore" / "fluentd_s3_sample" / "2023061719_20.json"
    reader = EventFileReader()
    topics = Counter(topic for line in read_lines(path) for topic, _ in reader.records(line))
    assert topics == {"listen_events": 867}


def test_every_sparkify_record_maps_onto_the_four_topics(eventsim_real: Path) -> None:
    files = input_files([eventsim_real / "sparkify_dend_log_data"])
    assert len(files) == 30
    reader = EventFileReader()
    topics = Counter[str]()
    pages = Counter[str]()
    for path in files:
        assert topic_from_file_name(path) is None
        for line in read_lines(path):
            for topic, record in reader.records(line):
                topics[topic] += 1
                if topic == "page_view_events":
                    pages[record.page] += 1  # type: ignore[attr-defined]
    # Counts stated by the dataset's README, not by this code.
    assert topics["page_view_events"] == 8056
    assert pages["NextSong"] == topics["listen_events"] == 6820
    assert (
        topics["status_change_events"] == pages["Submit Upgrade"] + pages["Submit Downgrade"] == 9
    )
    # An auth record follows every Login page (plus eventsim's spurious failures).
    assert topics["auth_events"] >= pages["Login"] == 92


@pytest.mark.parametrize("topic", sorted(TOPIC_SCHEMAS))
def test_kafka_fork_files_are_named_after_their_topic(topic: str, eventsim_real: Path) -> None:
    assert (
        topic_from_file_name(eventsim_real / "kafka_fork_zipcodecore" / "output" / topic) == topic
    )


def test_gzipped_eventsim_files_read_like_plain_ones(eventsim_real: Path, tmp_path: Path) -> None:
    import gzip

    plain = eventsim_real / "kafka_fork_zipcodecore" / "output" / "listen_events"
    zipped = tmp_path / "listen_events.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    assert topic_from_file_name(zipped) == "listen_events"
    assert [line.value for line in read_lines(zipped)] == [line.value for line in read_lines(plain)]
    assert input_files([tmp_path]) == [zipped]
