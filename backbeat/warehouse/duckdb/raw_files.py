"""Raw tables as Parquet micro-batch files, written exactly once per Kafka record.

Layout: `<dir>/raw/<table>/event_date=YYYY-MM-DD/<topic>-p<partition>-<first>-<last>.parquet`
where first/last are the Kafka offsets in the file (zero-padded, so names sort by offset).

Exactly once: a batch is split by event date and each part is written to a temporary file,
fsynced, and renamed into place. Records of one (topic, partition, date) arrive in offset
order and are written in that order, so the highest offset in file names is a high-water
mark: after a crash, Bytewax replays from its last snapshot, and records at or below the mark
are skipped instead of written twice. The marks are read back from the file names at start,
so they are exactly what is on disk.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import duckdb

from backbeat.warehouse.duckdb.folder_lock import folder_lock
from backbeat.warehouse.duckdb.publishing import PARQUET, publish_file
from backbeat.warehouse.duckdb.types import duckdb_type, sql_string
from backbeat.warehouse.raw_schema import DEAD_LETTER_COLUMNS, DEAD_LETTER_TABLE, event_columns
from backbeat.warehouse.raw_writer import WriteResult, stored_offsets
from backbeat.warehouse.rows import DeadRow, RawRow

#: A raw file's name; the partition is -1 for rows written without Kafka (DirectRawSink).
FILE_NAME = re.compile(
    r"^(?P<topic>.+)-p(?P<partition>-?\d+)-(?P<first>\d{12})-(?P<last>\d{12})\.parquet$"
)
_EPOCH = date(1970, 1, 1)

#: A staging file this old was left by a writer that died (a micro-batch takes seconds).
_ABANDONED_AFTER_S = 600
MarkKey = tuple[str, str, int, int]  # (table, topic, partition, event day)


def day_folder(day: int) -> str:
    return f"event_date={(_EPOCH + timedelta(days=day)).isoformat()}"


def _day_of(folder: str) -> int:
    return (date.fromisoformat(folder.removeprefix("event_date=")) - _EPOCH).days


@cache
def _event_select(topic: str) -> str:
    """SELECT list turning a parsed JSON struct `e` into the raw table's event columns."""
    parts = []
    for column in event_columns(topic):
        source = f'e."{column.name}"'
        parts.append(
            f'epoch_ms({source}) AS "{column.name}"'
            if column.is_timestamp
            else f'{source} AS "{column.name}"'
        )
    return ", ".join(parts)


@cache
def _json_structure(topic: str) -> str:
    types = {
        c.name: "BIGINT" if c.is_timestamp else duckdb_type(c.type) for c in event_columns(topic)
    }
    return json.dumps(types)


class RawParquetWriter:
    """Writes loader rows into the raw Parquet tables under `<warehouse dir>/raw`."""

    def __init__(self, warehouse_dir: Path) -> None:
        self.root = warehouse_dir / "raw"
        self._staging = self.root / ".staging"
        self._staging.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(self._staging)
        self._duckdb = duckdb.connect()
        self._marks: dict[MarkKey, int] = self._read_marks()

    def _read_marks(self) -> dict[MarkKey, int]:
        marks: dict[MarkKey, int] = {}
        for path in self.root.glob("*/event_date=*/*.parquet"):
            match = FILE_NAME.match(path.name)
            if match is None:
                continue
            key = (
                path.parent.parent.name,
                match["topic"],
                int(match["partition"]),
                _day_of(path.parent.name),
            )
            marks[key] = max(marks.get(key, -1), int(match["last"]))
        return marks

    def high_water_mark(self, table: str, topic: str, partition: int, day: int) -> int:
        return self._marks.get((table, topic, partition, day), -1)

    def latest_offset(self, topic: str, partition: int) -> int:
        """The highest offset of `topic`/`partition` stored in its raw table, any day (-1: none)."""
        return max(
            (
                o
                for (t, tp, p, _), o in self._marks.items()
                if (t, tp, p) == (topic, topic, partition)
            ),
            default=-1,
        )

    def stored_offsets(self) -> dict[tuple[str, int], int]:
        return stored_offsets(self._marks)

    def unwritten(self, rows: Sequence[RawRow | DeadRow]) -> list[RawRow | DeadRow]:
        """The rows that are not on disk yet (above their high-water mark)."""
        return [row for row in rows if row.offset > self._marks.get(self._mark_key(row), -1)]

    @staticmethod
    def _mark_key(row: RawRow | DeadRow) -> MarkKey:
        table = DEAD_LETTER_TABLE if isinstance(row, DeadRow) else row.topic
        return (table, row.topic, row.partition, row.event_day)

    def write(
        self, rows: Sequence[RawRow | DeadRow], ingested_ms: int | None = None
    ) -> WriteResult:
        """Write a batch (rows of any tables); rows already on disk are skipped."""
        now_ms = ingested_ms if ingested_ms is not None else int(time.time() * 1000)
        groups: dict[MarkKey, list[RawRow | DeadRow]] = defaultdict(list)
        for row in rows:
            groups[self._mark_key(row)].append(row)
        written = skipped = files = 0
        for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], k[3])):
            mark = self._marks.get(key, -1)
            fresh = [row for row in groups[key] if row.offset > mark]
            skipped += len(groups[key]) - len(fresh)
            if not fresh:
                continue
            fresh.sort(key=lambda row: row.offset)
            self._write_file(key, fresh, now_ms)
            self._marks[key] = fresh[-1].offset
            written += len(fresh)
            files += 1
        return WriteResult(written, skipped, files)

    def _write_file(self, key: MarkKey, rows: list[RawRow | DeadRow], now_ms: int) -> None:
        table, topic, partition, day = key
        folder = self.root / table / day_folder(day)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{topic}-p{partition}-{rows[0].offset:012d}-{rows[-1].offset:012d}.parquet"
        staging = self._staging / f"{uuid.uuid4().hex}.parquet"
        if table == DEAD_LETTER_TABLE:
            self._copy_dead_letters(rows, staging)  # type: ignore[arg-type]
        else:
            self._copy_events(topic, rows, staging, now_ms)  # type: ignore[arg-type]
        with folder_lock(folder, exclusive=False):  # not while compaction rewrites the folder
            publish_file(staging, folder / name)

    def _copy_events(self, topic: str, rows: list[RawRow], target: Path, now_ms: int) -> None:
        self._duckdb.execute(
            f"""
            COPY (
                SELECT {_event_select(topic)},
                       $topic AS _topic,
                       CAST(p AS BIGINT) AS _partition,
                       CAST(o AS BIGINT) AS _offset,
                       CASE WHEN k >= 0 THEN epoch_ms(CAST(k AS BIGINT)) END AS _kafka_ts,
                       epoch_ms(CAST($now AS BIGINT)) AS _ingested_at
                FROM (
                    SELECT from_json(unnest($values), '{_json_structure(topic)}') AS e,
                           unnest($partitions) AS p, unnest($offsets) AS o, unnest($kafka_ts) AS k
                )
            ) TO {sql_string(target)} ({PARQUET})
            """,
            {
                "topic": topic,
                "now": now_ms,
                "values": [row.value.decode() for row in rows],  # canonical: valid UTF-8
                "partitions": [row.partition for row in rows],
                "offsets": [row.offset for row in rows],
                "kafka_ts": [row.kafka_ts_ms for row in rows],
            },
        )

    def _copy_dead_letters(self, rows: list[DeadRow], target: Path) -> None:
        columns = [row.columns() for row in rows]
        selects = ", ".join(
            f'{_dead_letter_value(name, kind)} AS "{name}"' for name, kind in DEAD_LETTER_COLUMNS
        )
        unnests = ", ".join(f'unnest(${name}) AS "{name}"' for name, _ in DEAD_LETTER_COLUMNS)
        self._duckdb.execute(
            f"COPY (SELECT {selects} FROM (SELECT {unnests})) TO {sql_string(target)} ({PARQUET})",
            {name: [row[name] for row in columns] for name, _ in DEAD_LETTER_COLUMNS},
        )

    def close(self) -> None:
        self._duckdb.close()


def _remove_abandoned(staging: Path) -> None:
    """Delete files a killed writer left half-written. Other writers (workers, processes)
    share the folder, so only files older than any write takes are touched."""
    cutoff = time.time() - _ABANDONED_AFTER_S
    for path in staging.glob("*.parquet"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _dead_letter_value(name: str, kind: str) -> str:
    if kind == "TIMESTAMP":
        return f'epoch_ms(CAST("{name}" AS BIGINT))'
    return f'CAST("{name}" AS {duckdb_type(kind)})'
