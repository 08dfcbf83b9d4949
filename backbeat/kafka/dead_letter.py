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

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

DEAD_LETTER_TOPIC: Final = "dead_letter"

#: Kafka record headers as confluent-kafka takes them.
Headers = list[tuple[str, str | bytes | None]]


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


def parse_headers(headers: list[tuple[str, bytes]] | None) -> dict[str, str]:
    """Headers of a dead-letter record as a dict of strings."""
    return {
        name: value.decode() for name, value in headers or [] if name.startswith("bb.") and value
    }
