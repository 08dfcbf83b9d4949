"""Reading eventsim output from files: either format, plain or gzip, files or directories.

eventsim's file mode writes one file per topic, named after it (`listen_events`, ...); the
topic of other files (old single-stream logs, fluentd dumps) is read off each record.
Every problem names its file and line.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from backbeat.events.codec import EventDecodeError, not_json, printable, repeats_keys
from backbeat.events.legacy import LegacyEvent, LegacyMapper, is_legacy
from backbeat.events.schemas import SCHEMA_TOPICS, TOPIC_SCHEMAS, EventRecord

_GENERIC = msgspec.json.Decoder(dict[str, Any])


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One line of an input file, as bytes, with where it came from."""

    path: Path
    line_no: int
    value: bytes

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line_no}"


def input_files(paths: Sequence[Path]) -> list[Path]:
    """Files to read: each file as given, each directory's files (recursively, sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith(".")
            )
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no such file or directory: {path}")
    return files


def read_lines(path: Path) -> Iterator[SourceLine]:
    """Non-empty lines of `path` (gzip if it ends in .gz), CR/LF stripped."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            value = raw.rstrip(b"\r\n")
            if value.strip():
                yield SourceLine(path, line_no, value)


def topic_from_file_name(path: Path) -> str | None:
    """eventsim's file mode names each file after its topic (with no extension)."""
    name = path.name.removesuffix(".gz").removesuffix(".json")
    return name if name in TOPIC_SCHEMAS else None


def topic_from_keys(record: dict[str, Any]) -> str:
    """The Kafka-fork topic whose key set `record` has."""
    if "success" in record:
        return "auth_events"
    if "page" in record:
        return "page_view_events"
    if "artist" in record:
        return "listen_events"
    return "status_change_events"


class EventFileReader:
    """Turns lines of eventsim output into topic records, keeping old-format session state."""

    def __init__(self) -> None:
        self._legacy = LegacyMapper()

    def records(self, line: SourceLine, topic: str | None = None) -> list[tuple[str, EventRecord]]:
        """(topic, record) pairs for one line; EventDecodeError names the file and line.

        Nothing else escapes: a line is evidence from outside, and one bad line must not
        end a replay. Records mapped from the old format are checked by the loader.
        """
        try:
            generic = _GENERIC.decode(line.value)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise EventDecodeError(f"{line.where}: {not_json(exc)}") from None
        if repeats_keys(line.value, len(generic)):
            raise EventDecodeError(f"{line.where}: a key appears more than once")
        try:
            if topic is None and is_legacy(generic):
                old = msgspec.convert(generic, LegacyEvent)
                return [(SCHEMA_TOPICS[type(r)], r) for r in self._legacy.map(old)]
            topic = topic or topic_from_keys(generic)
            return [(topic, msgspec.convert(generic, TOPIC_SCHEMAS[topic]))]
        except (msgspec.ValidationError, ValueError, OverflowError) as exc:
            kind = "old-format" if topic is None else topic
            raise EventDecodeError(
                printable(f"{line.where}: invalid {kind} record: {exc}")
            ) from None
