"""What the loader hands to a warehouse: validated events and rejected records, with their
Kafka coordinates. Pure data; the backends decide how to store it."""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class RawRow:
    """A valid event: its JSON bytes as received, where it was in Kafka, and its event time."""

    topic: str
    partition: int
    offset: int
    kafka_ts_ms: int
    event_ms: int
    value: bytes

    @property
    def event_day(self) -> int:
        """Days since 1970-01-01 (UTC) of the event: the raw table's partition."""
        return self.event_ms // DAY_MS


@dataclass(frozen=True, slots=True)
class DeadRow:
    """A record that failed validation, with the reason and its original bytes."""

    topic: str
    partition: int
    offset: int
    kafka_ts_ms: int
    error: str
    value: bytes
    failed_ms: int

    @property
    def event_day(self) -> int:
        return self.failed_ms // DAY_MS


LoaderRow = RawRow | DeadRow
