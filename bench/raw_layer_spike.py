"""The raw-layer spike of issue #31: hand-managed Parquet against DuckLake, under the loader's
write pattern, the figures over time.

At 5,000 events/s the loader writes about 32 micro-batches a second (16 topic-partitions, a
batch each 0.5 s, ~156 rows each). This writes that stream as fast as it can into one raw
table, one simulated minute after another, and after each minute measures what a continuous
build would pay: the window query (rows loaded in the last two minutes, as a build plans),
a full count, the files on disk, and the time the layer's own upkeep takes (tiered compaction
for Parquet; flushing inlined rows, `ducklake_merge_adjacent_files`, expiring snapshots and
deleting their files for DuckLake). A reader in another process runs the window query all
along and counts its errors: the loader, the builds and the API are different processes.

DuckLake's extension installs offline only for duckdb 1.5.5 (Backbeat uses 2.0), so its side
runs in a virtualenv of its own:

    uv run python bench/raw_layer_spike.py --layer parquet
    uv venv /tmp/ducklake-venv -p 3.11 && uv pip install -p /tmp/ducklake-venv/bin/python \\
        duckdb==1.5.5 duckdb-extension-ducklake duckdb-extension-sqlite_scanner orjson
    /tmp/ducklake-venv/bin/python bench/raw_layer_spike.py --layer ducklake [--inline 1000]

Each run prints a line per minute and writes bench/results/raw_layer_spike-<layer>-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import site
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from _results import write_results

STREAMS = 16
BATCHES_PER_S = 2 * STREAMS
ROWS_PER_BATCH = 156
START = datetime(2026, 12, 7, tzinfo=UTC)
AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko)"
COLUMNS = (
    "ts TIMESTAMP, user_id BIGINT, session_id BIGINT, page VARCHAR, user_agent VARCHAR, "
    "_partition INTEGER, _offset BIGINT, _ingested_at TIMESTAMP"
)
WINDOW_SQL = "SELECT COUNT(*), MAX(_ingested_at) FROM {table} WHERE _ingested_at > $after"


def _batch(stream: int, first_offset: int, at: datetime) -> dict[str, list[Any]]:
    ts = [at - timedelta(milliseconds=300 + i) for i in range(ROWS_PER_BATCH)]
    return {
        "ts": ts,
        "user_id": [(first_offset + i) * 7 % 20_000 for i in range(ROWS_PER_BATCH)],
        "session_id": [(first_offset + i) // 40 for i in range(ROWS_PER_BATCH)],
        "page": ["NextSong" if i % 5 else "Home" for i in range(ROWS_PER_BATCH)],
        "user_agent": [AGENT] * ROWS_PER_BATCH,
        "_partition": [stream] * ROWS_PER_BATCH,
        "_offset": list(range(first_offset, first_offset + ROWS_PER_BATCH)),
        "_ingested_at": [at.replace(tzinfo=None)] * ROWS_PER_BATCH,
    }


_UNNEST = (
    "SELECT unnest($ts) AS ts, unnest($user_id) AS user_id, unnest($session_id) AS session_id, "
    "unnest($page) AS page, unnest($user_agent) AS user_agent, "
    "unnest($_partition) AS _partition, unnest($_offset) AS _offset, "
    "unnest($_ingested_at) AS _ingested_at"
)


class ParquetLayer:
    """Backbeat's raw layer: a file per batch, atomically renamed in, tiered compaction."""

    name = "parquet"

    def __init__(self, root: Path) -> None:
        from backbeat.warehouse.duckdb.compaction import RawCompactor
        from backbeat.warehouse.duckdb.publishing import PARQUET

        self.root = root
        self.table_dir = root / "raw" / "page_view_events"
        self.staging = root / "staging"
        self.staging.mkdir(parents=True)
        self.connection = duckdb.connect()
        self.parquet = PARQUET
        self.compactor = RawCompactor(root, min_age_days=2, grace_s=0)

    def write(self, stream: int, batch: dict[str, list[Any]], day: str) -> None:
        from backbeat.warehouse.duckdb.folder_lock import folder_lock
        from backbeat.warehouse.duckdb.publishing import publish_file

        offsets = batch["_offset"]
        folder = self.table_dir / f"event_date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        staged = self.staging / f"{uuid.uuid4().hex}.parquet"
        self.connection.execute(f"COPY ({_UNNEST}) TO '{staged}' ({self.parquet})", batch)
        name = f"page_view_events-p{stream}-{offsets[0]:012d}-{offsets[-1]:012d}.parquet"
        with folder_lock(folder, exclusive=False):
            publish_file(staged, folder / name)

    @staticmethod
    def reader(root: Path) -> tuple[duckdb.DuckDBPyConnection, str]:
        connection = duckdb.connect()
        pattern = root / "raw" / "page_view_events" / "*" / "*.parquet"
        return connection, (
            f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)"
        )

    def upkeep(self) -> None:
        self.compactor.run(today=START.date())

    def files(self) -> int:
        return sum(1 for _ in self.table_dir.glob("*/*.parquet"))

    def catalog_bytes(self) -> int:
        return 0

    def close(self) -> None:
        self.connection.close()


def _load_ducklake(connection: duckdb.DuckDBPyConnection) -> None:
    packages = Path(site.getsitepackages()[0])
    for extension in ("ducklake", "sqlite_scanner"):
        version = duckdb.__version__
        path = packages / f"duckdb_extension_{extension}/extensions/v{version}"
        connection.execute(f"LOAD '{path / f'{extension}.duckdb_extension'}'")


def _attach(connection: duckdb.DuckDBPyConnection, root: Path) -> None:
    connection.execute(
        f"ATTACH 'ducklake:sqlite:{root / 'catalog.sqlite'}' AS lake (DATA_PATH '{root}/data/')"
    )


class DuckLakeLayer:
    """DuckLake on a SQLite catalog: an INSERT (a snapshot) per batch."""

    name = "ducklake"

    def __init__(self, root: Path, inline_rows: int) -> None:
        self.root = root
        self.inline_rows = inline_rows
        self.connection = duckdb.connect()
        _load_ducklake(self.connection)
        self.connection.execute(f"SET ducklake_default_data_inlining_row_limit = {inline_rows}")
        _attach(self.connection, root)
        self.connection.execute(f"CREATE TABLE lake.page_view_events ({COLUMNS})")

    def write(self, stream: int, batch: dict[str, list[Any]], day: str) -> None:
        self.connection.execute(f"INSERT INTO lake.page_view_events {_UNNEST}", batch)

    @staticmethod
    def reader(root: Path) -> tuple[duckdb.DuckDBPyConnection, str]:
        connection = duckdb.connect()
        _load_ducklake(connection)
        _attach(connection, root)
        return connection, "lake.page_view_events"

    def upkeep(self) -> None:
        if self.inline_rows:
            self.connection.execute("CALL ducklake_flush_inlined_data('lake')")
        self.connection.execute("CALL ducklake_merge_adjacent_files('lake')")
        self.connection.execute("CALL ducklake_expire_snapshots('lake', older_than => now())")
        self.connection.execute("CALL ducklake_cleanup_old_files('lake', cleanup_all => true)")

    def files(self) -> int:
        return sum(1 for _ in (self.root / "data").rglob("*.parquet"))

    def catalog_bytes(self) -> int:
        return (self.root / "catalog.sqlite").stat().st_size

    def close(self) -> None:
        self.connection.close()


def _read_loop(layer: str, root: str, stop: Any, results: Any) -> None:
    """Another process running the build's window query until `stop`: (queries, errors)."""
    cls = ParquetLayer if layer == "parquet" else DuckLakeLayer
    queries = errors = 0
    first_error = ""
    while not stop.is_set():
        try:
            connection, table = cls.reader(Path(root))
            try:
                connection.execute(
                    WINDOW_SQL.format(table=table), {"after": START.replace(tzinfo=None)}
                ).fetchone()
            finally:
                connection.close()
            queries += 1
        except duckdb.Error as exc:
            errors += 1
            first_error = first_error or str(exc).splitlines()[0]
        time.sleep(0.2)
    results.put((queries, errors, first_error))


def _timed(connection: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> tuple[float, Any]:
    """Seconds a query took, and its first row."""
    began = time.perf_counter()
    row = connection.execute(sql, params).fetchone()
    return time.perf_counter() - began, row


def run(layer_name: str, minutes: int, inline_rows: int, root: Path) -> dict[str, Any]:
    layer: ParquetLayer | DuckLakeLayer = (
        ParquetLayer(root) if layer_name == "parquet" else DuckLakeLayer(root, inline_rows)
    )
    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    reader = context.Process(target=_read_loop, args=(layer_name, str(root), stop, results))
    series: list[dict[str, Any]] = []
    offsets = [0] * STREAMS
    reader.start()
    try:
        for minute in range(minutes):
            latencies = []
            began = time.perf_counter()
            for tick in range(60 * BATCHES_PER_S):
                stream = tick % STREAMS
                at = START + timedelta(minutes=minute, seconds=tick / BATCHES_PER_S)
                batch = _batch(stream, offsets[stream], at)
                offsets[stream] += ROWS_PER_BATCH
                written = time.perf_counter()
                layer.write(stream, batch, at.date().isoformat())
                latencies.append(time.perf_counter() - written)
            write_s = time.perf_counter() - began
            files_before = layer.files()
            upkeep_began = time.perf_counter()
            layer.upkeep()
            upkeep_s = time.perf_counter() - upkeep_began
            connection, table = type(layer).reader(root)
            after = (START + timedelta(minutes=minute - 1)).replace(tzinfo=None)
            window_s, _ = _timed(connection, WINDOW_SQL.format(table=table), after=after)
            full_s, (rows,) = _timed(connection, f"SELECT COUNT(*) FROM {table}")
            connection.close()
            latencies.sort()
            row = {
                "minute": minute,
                "rows": int(rows),
                "write_rows_per_s": round(60 * BATCHES_PER_S * ROWS_PER_BATCH / write_s),
                "write_p50_ms": round(1000 * statistics.median(latencies), 2),
                "write_p95_ms": round(1000 * latencies[int(len(latencies) * 0.95)], 2),
                "files_before_upkeep": files_before,
                "files_after_upkeep": layer.files(),
                "upkeep_s": round(upkeep_s, 2),
                "window_query_s": round(window_s, 3),
                "full_count_s": round(full_s, 3),
                "catalog_bytes": layer.catalog_bytes(),
            }
            series.append(row)
            print(json.dumps(row), flush=True)
    finally:
        stop.set()
        reader.join(timeout=120)
        layer.close()
    queries, errors, first_error = results.get(timeout=10)
    expected = minutes * 60 * BATCHES_PER_S * ROWS_PER_BATCH
    return {
        "layer": layer_name,
        "inline_rows": inline_rows if layer_name == "ducklake" else None,
        "duckdb": duckdb.__version__,
        "rows_expected": expected,
        "rows_found": series[-1]["rows"] if series else 0,
        "reader_queries": queries,
        "reader_errors": errors,
        "reader_first_error": first_error,
        "series": series,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layer", choices=("parquet", "ducklake"), required=True)
    parser.add_argument("--minutes", type=int, default=10, help="simulated minutes at 5,000/s")
    parser.add_argument("--inline", type=int, default=0, help="DuckLake data inlining row limit")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="raw-spike-"))
    try:
        figures = run(args.layer, args.minutes, args.inline, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    write_results(f"raw_layer_spike-{args.layer}", figures)


if __name__ == "__main__":
    main()
