"""Raw rows into BigQuery through the Storage Write API, exactly once per Kafka record.

Rows go to each table's `_default` stream: committed on append, queryable at once, no load
job (load jobs have a daily per-table quota; a micro-batch a second would exhaust it). One
append request is atomic: all its rows land or none do.

Exactly once: at start the writer reads `MAX(_offset)` per (table, topic, partition) from the
tables themselves. A batch's rows of one (table, topic, partition) are appended in offset
order, one request after the other, each awaited before the next, so what is stored is always
a prefix of the partition and its highest offset a high-water mark. Any failed append raises
(the loader stops, nothing is retried blindly); the restarted loader reads the marks again
and skips what is already stored. https://cloud.google.com/bigquery/docs/write-api
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Final

from google.api_core import exceptions as google_errors
from google.cloud.bigquery_storage_v1 import types

from backbeat.kafka.topics import LOADED_TOPICS
from backbeat.settings.warehouse import WarehouseSettings
from backbeat.warehouse.bigquery.client import BigQueryConfigError, bigquery_client, write_client
from backbeat.warehouse.bigquery.proto_rows import dead_row_bytes, event_row_bytes, table_proto
from backbeat.warehouse.raw_schema import DEAD_LETTER_TABLE
from backbeat.warehouse.raw_writer import WriteResult, stored_offsets
from backbeat.warehouse.rows import DeadRow, LoaderRow

#: An append request may be at most 10 MB; leave room for the schema and framing.
MAX_REQUEST_BYTES: Final = 9 * 1024 * 1024
APPEND_TIMEOUT_S: Final = 120.0

MarkKey = tuple[str, str, int]  # (table, topic, partition)


class BigQueryWriteError(RuntimeError):
    """BigQuery refused an append; the loader stops rather than skip or repeat rows."""


def high_water_mark_sql(project: str, dataset: str) -> str:
    """One query for the highest stored offset per (table, topic, partition)."""
    parts = [
        f"SELECT '{topic}' AS tbl, _topic AS topic, _partition AS part, MAX(_offset) AS mark "
        f"FROM `{project}.{dataset}.{topic}` GROUP BY 2, 3"
        for topic in LOADED_TOPICS
    ]
    parts.append(
        f"SELECT '{DEAD_LETTER_TABLE}', _topic, _partition, MAX(_offset) "
        f"FROM `{project}.{dataset}.{DEAD_LETTER_TABLE}` GROUP BY 2, 3"
    )
    return "\nUNION ALL\n".join(parts)


def chunked(payloads: Sequence[bytes], limit: int = MAX_REQUEST_BYTES) -> Iterator[list[bytes]]:
    """Consecutive runs of `payloads` whose total size stays under `limit` (order kept)."""
    chunk: list[bytes] = []
    size = 0
    for payload in payloads:
        if chunk and size + len(payload) > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(payload)
        size += len(payload)
    if chunk:
        yield chunk


class BigQueryRawWriter:
    """Writes loader rows into the raw dataset's tables (created by `backbeat bigquery init`)."""

    def __init__(self, settings: WarehouseSettings) -> None:
        self._query_client = bigquery_client(settings)
        self._project = self._query_client.project
        self._dataset = settings.raw_dataset
        self._client = write_client(settings)
        self._marks = self._read_marks()

    def _read_marks(self) -> dict[MarkKey, int]:
        try:
            rows = self._query_client.query(
                high_water_mark_sql(self._project, self._dataset)
            ).result()
        except google_errors.NotFound as exc:
            raise BigQueryConfigError(
                f"the raw tables are missing in {self._project}.{self._dataset} "
                f"({exc.message}); create them with `backbeat bigquery init`"
            ) from None
        return {(row[0], row[1], int(row[2])): int(row[3]) for row in rows if row[3] is not None}

    @staticmethod
    def _mark_key(row: LoaderRow) -> MarkKey:
        table = DEAD_LETTER_TABLE if isinstance(row, DeadRow) else row.topic
        return (table, row.topic, row.partition)

    def high_water_mark(self, table: str, topic: str, partition: int) -> int:
        return self._marks.get((table, topic, partition), -1)

    def latest_offset(self, topic: str, partition: int) -> int:
        return self._marks.get((topic, topic, partition), -1)

    def stored_offsets(self) -> dict[tuple[str, int], int]:
        return stored_offsets(self._marks)

    def unwritten(self, rows: Sequence[LoaderRow]) -> list[LoaderRow]:
        return [row for row in rows if row.offset > self._marks.get(self._mark_key(row), -1)]

    def write(self, rows: Sequence[LoaderRow], ingested_ms: int | None = None) -> WriteResult:
        now_ms = ingested_ms if ingested_ms is not None else int(time.time() * 1000)
        groups: dict[MarkKey, list[LoaderRow]] = defaultdict(list)
        for row in rows:
            groups[self._mark_key(row)].append(row)
        written = skipped = appends = 0
        for key in sorted(groups):
            mark = self._marks.get(key, -1)
            fresh = sorted((row for row in groups[key] if row.offset > mark), key=_offset)
            skipped += len(groups[key]) - len(fresh)
            if not fresh:
                continue
            payloads = [
                dead_row_bytes(row) if isinstance(row, DeadRow) else event_row_bytes(row, now_ms)
                for row in fresh
            ]
            done = 0
            for chunk in chunked(payloads):
                self._append(key[0], chunk)
                done += len(chunk)
                self._marks[key] = fresh[done - 1].offset
                appends += 1
            written += len(fresh)
        return WriteResult(written, skipped, appends)

    def _append(self, table: str, payloads: list[bytes]) -> None:
        stream = (
            f"projects/{self._project}/datasets/{self._dataset}/tables/{table}/streams/_default"
        )
        request = types.AppendRowsRequest(
            write_stream=stream,
            proto_rows=types.AppendRowsRequest.ProtoData(
                writer_schema=types.ProtoSchema(proto_descriptor=table_proto(table).descriptor),
                rows=types.ProtoRows(serialized_rows=payloads),
            ),
        )
        try:
            responses = list(
                self._client.append_rows(
                    iter([request]),
                    timeout=APPEND_TIMEOUT_S,
                    metadata=(("x-goog-request-params", f"write_stream={stream}"),),
                )
            )
        except google_errors.GoogleAPICallError as exc:
            raise BigQueryWriteError(f"append to {table} failed: {exc.message}") from exc
        if not responses:
            raise BigQueryWriteError(f"append to {table} got no answer")
        for response in responses:
            if response.error.code or response.row_errors:
                detail = response.error.message or "; ".join(
                    f"row {e.index}: {e.message}" for e in response.row_errors
                )
                raise BigQueryWriteError(f"append to {table} refused: {detail}")

    def close(self) -> None:
        self._client.transport.close()
        self._query_client.close()


def _offset(row: LoaderRow) -> int:
    return row.offset
