"""The BigQuery backend's side of a build: vault and marts as tables in their datasets.

- An incremental model runs as `INSERT INTO <table> (<columns>) <its SELECT>`.
- A `table` model runs as `CREATE OR REPLACE TABLE ... PARTITION BY ... CLUSTER BY ... AS`.
- Tables are created from the model headers (partitioning and clustering included) the
  first time a build needs them; finished builds are rows of `<vault dataset>.build_log`.

Parameters (`@since`, `@until`, ...) are BigQuery query parameters. Two builds are kept
apart by the Prefect flow's concurrency limit (there is no file to lock here).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from google.cloud import bigquery
from sqlglot import exp

from backbeat.settings.warehouse import WarehouseSettings
from backbeat.warehouse.bigquery.client import GoogleAuth, bigquery_client
from backbeat.warehouse.bigquery.warehouse import qualify_datasets
from backbeat.warehouse.build import BuildReport
from backbeat.warehouse.models.spec import Model

BUILD_LOG = "build_log"
BUILD_LOG_SCHEMA = [
    bigquery.SchemaField("build_id", "STRING"),
    bigquery.SchemaField("since", "TIMESTAMP"),
    bigquery.SchemaField("until", "TIMESTAMP"),
    bigquery.SchemaField("load_ts", "TIMESTAMP"),
    bigquery.SchemaField("runs", "STRING"),
    bigquery.SchemaField("finished_at", "TIMESTAMP"),
]


def _parameter(
    name: str, value: Any
) -> bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter:
    if isinstance(value, list) and all(type(v) is date for v in value):
        return bigquery.ArrayQueryParameter(name, "DATE", value)
    if isinstance(value, datetime):
        return bigquery.ScalarQueryParameter(name, "TIMESTAMP", value)
    if isinstance(value, date):
        return bigquery.ScalarQueryParameter(name, "DATE", value)
    if isinstance(value, float):
        return bigquery.ScalarQueryParameter(name, "FLOAT64", value)
    if isinstance(value, int) and not isinstance(value, bool):
        return bigquery.ScalarQueryParameter(name, "INT64", value)
    if isinstance(value, str):
        return bigquery.ScalarQueryParameter(name, "STRING", value)
    raise TypeError(f"no BigQuery parameter type for {name}={value!r}")


class BigQueryModelStore:
    """Runs models as BigQuery jobs into the configured datasets."""

    def __init__(self, settings: WarehouseSettings, auth: GoogleAuth | None = None) -> None:
        self._client = bigquery_client(settings, auth)
        self._project = self._client.project
        self._datasets = settings.datasets()
        self._existing: set[str] = set()

    def _table_id(self, layer: str, name: str) -> str:
        return f"{self._project}.{self._datasets[layer]}.{name}"

    def _job(self, sql: str, params: dict[str, Any] | None = None) -> bigquery.QueryJob:
        config = bigquery.QueryJobConfig(
            query_parameters=[_parameter(k, v) for k, v in (params or {}).items()]
        )
        job = self._client.query(sql, job_config=config)
        job.result()
        return job

    def _run(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        return list(self._job(sql, params).result())

    @contextmanager
    def lock(self) -> Iterator[None]:
        yield

    def fetch_one(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
        rows = self._run(qualify_datasets(sql, self._project, self._datasets), params)
        if not rows:
            raise RuntimeError(f"no row from {sql}")
        return tuple(rows[0].values())

    def _ensure_build_log(self) -> str:
        table_id = self._table_id("vault", BUILD_LOG)
        if table_id not in self._existing:
            table = self._client.create_table(
                bigquery.Table(table_id, schema=BUILD_LOG_SCHEMA), exists_ok=True
            )
            self._add_missing_columns(table, BUILD_LOG_SCHEMA)
            self._existing.add(table_id)
        return table_id

    def _add_missing_columns(
        self, table: bigquery.Table, wanted: list[bigquery.SchemaField]
    ) -> None:
        """A table an older Backbeat made gains the columns this one declares (NULL in its old
        rows), by DDL: BigQuery adds NULLABLE columns in place."""
        present = {c.name for c in table.schema}
        table_id = f"{table.project}.{table.dataset_id}.{table.table_id}"
        for column in wanted:
            if column.name not in present:
                self._run(
                    f"ALTER TABLE `{table_id}` "
                    f"ADD COLUMN IF NOT EXISTS {column.name} {column.field_type}"
                )

    def last_until(self) -> datetime | None:
        last = self.last_build()
        return last[0] if last else None

    def last_build(self) -> tuple[datetime, datetime] | None:
        table_id = self._ensure_build_log()
        rows = self._run(
            f"SELECT until, load_ts FROM `{table_id}` ORDER BY until DESC, load_ts DESC LIMIT 1"
        )
        return (rows[0]["until"], rows[0]["load_ts"]) if rows else None

    def _ensure_table(self, model: Model) -> str:
        table_id = self._table_id(model.layer, model.name)
        if table_id in self._existing:
            return table_id
        table = bigquery.Table(
            table_id, schema=[bigquery.SchemaField(c.name, c.type) for c in model.columns]
        )
        if model.partition_by:
            table.time_partitioning = bigquery.TimePartitioning(
                type_=bigquery.TimePartitioningType.DAY, field=model.partition_by
            )
        if model.cluster_by:
            table.clustering_fields = list(model.cluster_by)
        table.description = " ".join(model.grain.split())
        stored = self._client.create_table(table, exists_ok=True)
        self._add_missing_columns(stored, list(table.schema))
        self._existing.add(table_id)
        return table_id

    def _select_sql(self, select: exp.Expression) -> str:
        return qualify_datasets(select.sql(dialect="bigquery"), self._project, self._datasets)

    def append(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int:
        table_id = self._ensure_table(model)
        columns = ", ".join(c.name for c in model.columns)
        job = self._job(f"INSERT INTO `{table_id}` ({columns}) {self._select_sql(select)}", params)
        return int(job.num_dml_affected_rows or 0)

    def replace(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int:
        table_id = self._ensure_table(model)
        options = ""
        if model.partition_by:
            options += f" PARTITION BY {model.partition_by}"
        if model.cluster_by:
            options += f" CLUSTER BY {', '.join(model.cluster_by)}"
        self._run(
            f"CREATE OR REPLACE TABLE `{table_id}`{options} AS {self._select_sql(select)}", params
        )
        rows = self._run(f"SELECT COUNT(*) AS n FROM `{table_id}`")
        return int(rows[0]["n"])

    def replace_partitions(
        self, model: Model, select: exp.Expression, params: dict[str, Any]
    ) -> int:
        """Replace the partitions the SELECT returns with one MERGE (atomic for readers):
        stored rows of those partitions are deleted and the new rows inserted."""
        table_id = self._ensure_table(model)
        select_sql = self._select_sql(select)
        column = model.partition_by
        found = self._run(f"SELECT DISTINCT {column} AS d FROM ({select_sql})", params)
        dates = [row["d"] for row in found]
        if not dates:
            return 0
        columns = ", ".join(c.name for c in model.columns)
        merge_params = {**params, "partitions": dates}
        self._job(
            f"MERGE `{table_id}` AS target USING ({select_sql}) AS source ON FALSE "
            f"WHEN NOT MATCHED BY SOURCE AND target.{column} IN UNNEST(@partitions) THEN DELETE "
            f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({columns})",
            merge_params,
        )
        counted = self._run(
            f"SELECT COUNT(*) AS n FROM `{table_id}` WHERE {column} IN UNNEST(@partitions)",
            {"partitions": dates},
        )
        return int(counted[0]["n"])

    def merge(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int:
        """One MERGE on the key, limited to the partitions the new rows fall in (so BigQuery
        prunes the target): matched rows are updated, new keys inserted."""
        table_id = self._ensure_table(model)
        select_sql = self._select_sql(select)
        column = model.partition_by
        found = self._run(
            f"SELECT {column} AS d, COUNT(*) AS n FROM ({select_sql}) GROUP BY 1", params
        )
        dates = [row["d"] for row in found]
        if not dates:
            return 0
        names = [c.name for c in model.columns]
        matches = " AND ".join(f"target.{k} = source.{k}" for k in model.key)
        updates = ", ".join(f"{n} = source.{n}" for n in names if n not in model.key)
        columns = ", ".join(names)
        self._job(
            f"MERGE `{table_id}` AS target USING ({select_sql}) AS source "
            f"ON {matches} AND target.{column} IN UNNEST(@partitions) "
            f"WHEN MATCHED THEN UPDATE SET {updates} "
            f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({columns})",
            {**params, "partitions": dates},
        )
        return sum(int(row["n"]) for row in found)

    def stage(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int | None:
        """Staging stays inlined: BigQuery prunes each model's CTE to the columns it reads,
        and a staging table would cost a write of every window's rows per build."""
        return None

    def record(self, report: BuildReport) -> None:
        window = report.window
        self._job(
            f"INSERT INTO `{self._ensure_build_log()}` "
            "(build_id, since, until, load_ts, runs, finished_at) "
            "VALUES (@build_id, @since, @until, @load_ts, @runs, @finished_at)",
            {
                "build_id": window.build_id,
                "since": window.since,
                "until": window.until,
                "load_ts": window.load_ts,
                "runs": json.dumps([asdict(r) for r in report.runs]),
                "finished_at": report.finished_at or datetime.now(UTC),
            },
        )
