"""The `dead_letter` topic's record layout, shared by everything that rejects input.

Value: the original bytes, unchanged (nothing is lost, whatever the encoding).
Headers: why and where it failed, as UTF-8 strings:

| header | always | meaning |
|---|---|---|
| `bb.error` | yes | the reason, for a person |
| `bb.failed_at` | yes | ISO-8601 UTC time of the rejection |
| `bb.stage` | yes | who rejected it (`replay`, `loader`, ...) |
| `bb.source.topic` | if known | the topic it came from or was meant for |
| `bb.source.partition`, `bb.source.offset` | from Kafka | its coordinates |
| `bb.source.file`, `bb.source.line` | from a file | where it was read |
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from backbeat.kafka.topics import DEAD_LETTER_TOPIC

__all__ = ["DEAD_LETTER_TOPIC", "LOADER_STAGE", "DeadLetter", "parse_headers"]

#: The stage name of the loader's own rejections (it lands them itself, so it skips them
#: when it reads the topic back).
LOADER_STAGE: Final = "loader"

#: Kafka record headers as confluent-kafka takes them, and as it gives them back.
Headers = list[tuple[str, str | bytes | None]]
ReadHeaders = list[tuple[str, bytes | None]]


@dataclass(frozen=True)
class DeadLetter:
    original: bytes
    error: str
    stage: str
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    source_file: str | None = None
    source_line: int | None = None

    def headers(self, now: datetime | None = None) -> Headers:
        moment = (now or datetime.now(UTC)).isoformat(timespec="milliseconds")
        fields: dict[str, object | None] = {
            "bb.error": self.error,
            "bb.failed_at": moment,
            "bb.stage": self.stage,
            "bb.source.topic": self.source_topic,
            "bb.source.partition": self.source_partition,
            "bb.source.offset": self.source_offset,
            "bb.source.file": self.source_file,
            "bb.source.line": self.source_line,
        }
        return [(name, str(value).encode()) for name, value in fields.items() if value is not None]

    def truncated(self, keep: int) -> DeadLetter:
        """The letter with only the first `keep` bytes of the original (one Kafka cannot
        carry whole); the reason says so, and where the whole record is, if known."""
        where = (
            f"; the whole record is at {self.source_file}:{self.source_line}"
            if self.source_file
            else ""
        )
        return replace(
            self,
            original=self.original[:keep],
            error=f"{self.error} (the letter keeps its first {keep:,} of "
            f"{len(self.original):,} bytes{where})",
        )

    @classmethod
    def from_record(cls, value: bytes | None, fields: dict[str, str]) -> DeadLetter:
        """A letter as read back from the topic (`fields`: its `parse_headers`). Anyone can
        write to it, so nothing here may fail: a missing or garbled header is a missing value."""
        return cls(
            original=value or b"",
            error=fields.get("bb.error") or "no reason given (no bb.error header)",
            stage=fields.get("bb.stage") or "unknown",
            source_topic=fields.get("bb.source.topic"),
            source_partition=_int_or_none(fields.get("bb.source.partition")),
            source_offset=_int_or_none(fields.get("bb.source.offset")),
            source_file=fields.get("bb.source.file"),
            source_line=_int_or_none(fields.get("bb.source.line")),
        )


def _int_or_none(text: str | None) -> int | None:
    try:
        number = int(text) if text is not None else None
    except ValueError:
        return None
    return number if number is not None and -(2**63) <= number < 2**63 else None


def parse_headers(headers: ReadHeaders | None) -> dict[str, str]:
    """Headers of a dead-letter record as a dict of strings (bytes that are not UTF-8 are
    replaced, never raised on)."""
    return {
        name: value.decode("utf-8", "replace")
        for name, value in headers or []
        if name.startswith("bb.") and value
    }
