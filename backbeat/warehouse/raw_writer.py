"""What the loader writes raw rows through, on every backend (`WarehouseBackend.raw_writer`).

Both writers keep the same promise: a row goes in exactly once per (topic, partition, offset).
Rows of one Kafka partition arrive in offset order and are written in that order, so the
highest offset stored is a high-water mark; each writer reads its marks back from what is
stored when it starts, and skips rows at or below them (a replay after a crash).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from backbeat.warehouse.rows import LoaderRow


@dataclass(frozen=True)
class WriteResult:
    written: int
    skipped: int
    #: Files (DuckDB) or appends (BigQuery) the batch took.
    writes: int


class RawWriter(Protocol):
    def latest_offset(self, topic: str, partition: int) -> int:
        """The highest offset of `topic`/`partition` in its raw table (-1: none)."""
        ...

    def stored_offsets(self) -> dict[tuple[str, int], int]:
        """The highest offset stored per Kafka (topic, partition), in any raw table (its
        own or `dead_letter`) and any day: how far the warehouse holds what was read."""
        ...

    def unwritten(self, rows: Sequence[LoaderRow]) -> list[LoaderRow]:
        """The rows that are not stored yet (above their high-water mark)."""
        ...

    def write(self, rows: Sequence[LoaderRow], ingested_ms: int | None = None) -> WriteResult:
        """Store a batch (rows of any raw tables); rows already stored are skipped."""
        ...

    def close(self) -> None: ...


def stored_offsets(marks: Mapping[tuple[Any, ...], int]) -> dict[tuple[str, int], int]:
    """Per (topic, partition), the highest of the writer's marks, keyed (table, topic,
    partition, ...)."""
    highest: dict[tuple[str, int], int] = {}
    for key, offset in marks.items():
        where = (key[1], key[2])
        highest[where] = max(highest.get(where, -1), offset)
    return highest
