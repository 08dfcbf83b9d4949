"""The embedded backend's side of a build: vault and marts tables as Parquet files.

- An incremental model adds one file per build that added rows:
  `<dir>/<layer>/<model>/<build_id>.parquet` (insert-only, like the vault itself).
- A `table` model is one file, `<dir>/<layer>/<model>/table.parquet`, replaced whole.
- Finished builds are files too: `<dir>/builds/<until>-<build_id>.json` (window, rows added),
  folded into Parquet as they pile up (build_log.py).
- Frequent builds would leave thousands of small files per model: each build ends by merging
  them (model_compaction.py), so a query opens a bounded number of files.

Every file is written to `<dir>/.staging/`, fsynced and renamed into place, so readers (their
own DuckDB connections over the files) never see half a file and never wait for a build; the
loader writes only under `raw/`. Builds take an exclusive lock on `<dir>/.build.lock`, so two
builds never interleave. Why not a DuckDB database file: DuckDB lets one process write a file
and then no other process may even read it, so the API and the dashboard would stall for the
length of every build.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import duckdb
from sqlglot import exp

from backbeat.warehouse.build import BuildReport
from backbeat.warehouse.dialect import parse_statement, to_duckdb_sql
from backbeat.warehouse.duckdb.build_log import LOG_FOLDER, fold_records
from backbeat.warehouse.duckdb.model_compaction import compact_folders
from backbeat.warehouse.duckdb.publishing import PARQUET, publish_file
from backbeat.warehouse.duckdb.types import sql_string
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from backbeat.warehouse.models.spec import Model

TABLE_FILE = "table.parquet"
log = logging.getLogger("backbeat.build")


class ParquetModelStore:
    """Runs models on an in-process DuckDB and keeps their rows as Parquet files."""

    def __init__(self, warehouse: DuckDBWarehouse, memory_limit: str | None = None) -> None:
        self.warehouse = warehouse
        self._memory_limit = memory_limit
        self._staging = warehouse.dir / ".staging"
        self._builds = warehouse.builds_dir
        self._compaction = warehouse.dir / ".compaction"
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            self._connection = self.warehouse.connect()
            # A build runs ~25 queries over the same files: read each footer once.
            self._connection.execute("SET parquet_metadata_cache = true")
            # Model files have no row order: let DuckDB write them with every thread.
            self._connection.execute("SET preserve_insertion_order = false")
            # Staging tables that outgrow memory spill here, not into the working directory
            # (DuckDB makes the folder, not its parent).
            self._staging.mkdir(parents=True, exist_ok=True)
            self._connection.execute(f"SET temp_directory = {sql_string(self._staging / 'spill')}")
            if self._memory_limit:
                self._connection.execute(f"SET memory_limit = {sql_string(self._memory_limit)}")
        return self._connection

    @contextmanager
    def lock(self) -> Iterator[None]:
        self.warehouse.dir.mkdir(parents=True, exist_ok=True)
        with (self.warehouse.dir / ".build.lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RuntimeError(
                    f"another build of {self.warehouse.dir} is running; try again when it ends"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                if self._connection is not None:
                    self._connection.close()
                    self._connection = None

    def fetch_one(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
        translated = to_duckdb_sql(parse_statement(sql))
        row = self._execute(translated, params).fetchone()
        if row is None:
            raise RuntimeError(f"no row from {sql}")
        return tuple(row)

    def _execute(self, sql: str, params: dict[str, Any]) -> duckdb.DuckDBPyConnection:
        """Run `sql` with timestamps bound as naive UTC, the type of raw's columns.

        An aware parameter would make DuckDB cast every `_ingested_at` to compare it, which
        defeats the Parquet min/max filter: each build would read all of raw, not its window.
        """
        bound = {
            name: value.astimezone(UTC).replace(tzinfo=None)
            if isinstance(value, datetime) and value.tzinfo is not None
            else value
            for name, value in params.items()
        }
        return self.connection.execute(sql, bound)

    def last_until(self) -> datetime | None:
        last = self.last_build()
        return last[0] if last else None

    def last_build(self) -> tuple[datetime, datetime] | None:
        # Records are named by their watermark, so the newest is the last name: one read,
        # however many builds have run.
        finished = sorted(self._builds.glob("*.json"))
        if not finished:
            return None
        window = json.loads(finished[-1].read_text())["window"]
        return datetime.fromisoformat(window["until"]), datetime.fromisoformat(window["load_ts"])

    def append(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int:
        return self._write(model, select, params, f"{uuid.uuid4().hex}.parquet")

    def replace(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int:
        return self._write(model, select, params, TABLE_FILE, keep_empty=True)

    def replace_partitions(
        self, model: Model, select: exp.Expression, params: dict[str, Any]
    ) -> int:
        """Each partition is one file, `<column>=<date>.parquet`, replaced by rename."""
        return self._write_partitions(model, to_duckdb_sql(select), params)

    def merge(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int:
        """Rewrite the partition files the new rows fall in: their stored rows whose key the
        new rows do not have, plus the new rows. A partition is a mart's day: small next to
        the vault rows it was computed from, so this costs a fraction of recomputing it."""
        column, key = model.partition_by, model.key
        self._execute(f"CREATE OR REPLACE TEMP TABLE merged AS {to_duckdb_sql(select)}", params)
        try:
            dates = [
                row[0]
                for row in self.connection.execute(
                    f"SELECT DISTINCT {column} FROM merged"
                ).fetchall()
            ]
            if not dates:
                return 0
            folder = self.warehouse.model_dir(model)
            stored = [
                p for d in dates if (p := folder / f"{column}={d.isoformat()}.parquet").exists()
            ]
            kept = ""
            if stored:
                files = "[" + ", ".join(sql_string(p) for p in stored) + "]"
                matches = " AND ".join(f"m.{k} = s.{k}" for k in key)
                kept = (
                    " UNION ALL BY NAME SELECT * FROM "
                    f"read_parquet({files}, union_by_name = true) AS s "
                    f"WHERE NOT EXISTS (SELECT 1 FROM merged AS m WHERE {matches})"
                )
            self._write_partitions(model, f"SELECT * FROM merged{kept}", {})
            counted = self.connection.execute("SELECT COUNT(*) FROM merged").fetchone()
            return int(counted[0]) if counted else 0
        finally:
            self.connection.execute("DROP TABLE IF EXISTS merged")

    def _write_partitions(self, model: Model, sql: str, params: dict[str, Any]) -> int:
        column = model.partition_by
        staging = self._staging / uuid.uuid4().hex
        result = self._execute(
            f"COPY ({sql}) TO {sql_string(staging)} ({PARQUET}, "
            f"PARTITION_BY ({column}), WRITE_PARTITION_COLUMNS true)",
            params,
        ).fetchone()
        folder = self.warehouse.model_dir(model)
        folder.mkdir(parents=True, exist_ok=True)
        for part in sorted(staging.glob(f"{column}=*")):
            files = list(part.glob("*.parquet"))
            if len(files) != 1:  # DuckDB writes one file per partition here; check it did
                raise RuntimeError(f"{model.full_name}: {len(files)} files for {part.name}")
            publish_file(files[0], folder / f"{part.name}.parquet")
        shutil.rmtree(staging, ignore_errors=True)
        (folder / TABLE_FILE).unlink(missing_ok=True)  # left by an older, whole-table build
        self.warehouse.refresh_view(self.connection, model)
        return int(result[0]) if result else 0

    def stage(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int:
        """A staging model becomes a table of the build's in-memory database (DuckDB spills
        it to disk when it outgrows memory): computed once, gone when the build ends."""
        self.connection.execute(f"CREATE SCHEMA IF NOT EXISTS {model.layer}")
        self._execute(
            f"CREATE OR REPLACE TABLE {model.full_name} AS {to_duckdb_sql(select)}", params
        )
        counted = self.connection.execute(f"SELECT COUNT(*) FROM {model.full_name}").fetchone()
        return int(counted[0]) if counted else 0

    def _write(
        self,
        model: Model,
        select: exp.Expression,
        params: dict[str, Any],
        name: str,
        keep_empty: bool = False,
    ) -> int:
        sql = to_duckdb_sql(select)
        if order := model.sort_by or model.partition_by:
            # Rows in time order: each row group then spans minutes or a date, and reads of
            # a time range skip the rest by their min/max statistics (what BigQuery's
            # partitions do); unordered, every row group of a big file spans every date.
            sql = f"SELECT * FROM ({sql}) ORDER BY {order}"
        self._staging.mkdir(parents=True, exist_ok=True)
        staging = self._staging / f"{uuid.uuid4().hex}.parquet"
        result = self._execute(
            f"COPY ({sql}) TO {sql_string(staging)} ({PARQUET})", params
        ).fetchone()
        rows = int(result[0]) if result else 0
        if rows == 0 and not keep_empty:
            staging.unlink(missing_ok=True)
            return 0
        folder = self.warehouse.model_dir(model)
        folder.mkdir(parents=True, exist_ok=True)
        publish_file(staging, folder / name)
        self.warehouse.refresh_view(self.connection, model)
        return rows

    def record(self, report: BuildReport) -> None:
        self._builds.mkdir(parents=True, exist_ok=True)
        window = report.window
        document = {
            "build_id": window.build_id,
            "window": {
                "since": window.since.isoformat(),
                "until": window.until.isoformat(),
                "load_ts": window.load_ts.isoformat(),
            },
            "finished_at": (report.finished_at or datetime.now(UTC)).isoformat(),
            "runs": [asdict(run) for run in report.runs],
        }
        self._staging.mkdir(parents=True, exist_ok=True)
        staging = self._staging / f"{window.build_id}.json"
        staging.write_text(json.dumps(document, indent=2))
        name = f"{window.until.astimezone(UTC):%Y%m%dT%H%M%S%f}-{window.build_id}.json"
        publish_file(staging, self._builds / name)
        self._compact()

    def _compact(self) -> None:
        """Keep file counts flat however many builds run: fold build records, merge the
        small files of append-only folders (model_compaction.py)."""
        fold_records(self._builds, self._staging)
        folders = [
            self.warehouse.model_dir(m)
            for m in self.warehouse.models.values()
            if m.materialized == "incremental"
        ]
        for merge in compact_folders([*folders, self._builds / LOG_FOLDER], self._compaction):
            log.info(
                "compacted %s: %d files, %d rows", merge.folder.name, merge.files_merged, merge.rows
            )
