"""What the loader hands to a warehouse: validated events and rejected records, with their
Kafka coordinates. Pure data; the backends decide how to store it."""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 86_400_000


@dataclass(slots=True)
class RawRow:
    """A valid event: its JSON bytes as received, where it was in Kafka, and its event time.

    Treated as immutable, but not declared `frozen`: a frozen dataclass sets each field
    through `object.__setattr__`, which made building one row per record 5x slower (the
    loader builds one per event). Pickled as a frozen one is (a list of the fields), so the
    loader's recovery snapshots read the same before and after.
    """

    topic: str
    partition: int
    offset: int
    kafka_ts_ms: int
    event_ms: int
    value: bytes

    def __getstate__(self) -> list[object]:
        return [getattr(self, name) for name in self.__slots__]

    def __setstate__(self, state: list[object]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            object.__setattr__(self, name, value)

    @property
    def event_day(self) -> int:
        """Days since 1970-01-01 (UTC) of the event: the raw table's partition."""
        return self.event_ms // DAY_MS


@dataclass(frozen=True, slots=True)
class DeadRow:
    """A rejected record: where the loader read it (the idempotency key), the reason, its
    original bytes, who rejected it and where it came from.

    The loader's own rejections came from where it read them (`rejected`). Letters other
    stages sent to the `dead_letter` topic (a replayed line that did not parse) are read
    there, and name their origin in their headers (`from_letter`).
    """

    topic: str
    partition: int
    offset: int
    kafka_ts_ms: int
    error: str
    value: bytes
    failed_ms: int
    stage: str = "loader"
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    source_file: str | None = None
    source_line: int | None = None

    @classmethod
    def rejected(
        cls,
        topic: str,
        partition: int,
        offset: int,
        kafka_ts_ms: int,
        error: str,
        value: bytes,
        failed_ms: int,
    ) -> DeadRow:
        """A record the loader itself rejected: its source is where it was read."""
        return cls(
            topic, partition, offset, kafka_ts_ms, error, value, failed_ms,
            source_topic=topic, source_partition=partition, source_offset=offset,
        )  # fmt: skip

    def columns(self) -> dict[str, object]:
        """The row of `raw.dead_letter` (times in epoch ms), by column name."""
        return {
            "source_topic": self.source_topic,
            "source_partition": self.source_partition,
            "source_offset": self.source_offset,
            "source_file": self.source_file,
            "source_line": self.source_line,
            "stage": self.stage,
            "error": self.error,
            "original": self.value,
            "failed_at": self.failed_ms,
            "_topic": self.topic,
            "_partition": self.partition,
            "_offset": self.offset,
        }

    @property
    def event_day(self) -> int:
        """The partition: the day Kafka received it (the same on every replay), else the
        day it failed."""
        return (self.kafka_ts_ms if self.kafka_ts_ms >= 0 else self.failed_ms) // DAY_MS


LoaderRow = RawRow | DeadRow
