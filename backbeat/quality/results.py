"""Keeping every scan's results in the warehouse: `quality.results`, one row per check.

DuckDB: one Parquet file per scan under `<warehouse>/quality/results/`, written beside and
renamed into place, so a reader sees a scan whole or not at all. BigQuery: the table
`<project>.<BACKBEAT_QUALITY_RESULTS_DATASET>.results` (created on first use, partitioned by
day of `checked_at`), rows streamed in with the scan's run id.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from backbeat.quality.scan import QualityScan
from backbeat.settings import Settings
from backbeat.warehouse.quality_table import RESULT_COLUMNS, RESULTS_FOLDER, RESULTS_TABLE


def result_rows(scan: QualityScan) -> list[dict[str, Any]]:
    """The rows of `quality.results` for `scan` (column names as RESULT_COLUMNS)."""
    checked_at = scan.finished_at or scan.started_at
    return [
        {
            "run_id": scan.run_id,
            "contract": r.contract,
            "check_name": r.check,
            "check_type": r.check_type,
            "column_name": r.column,
            "outcome": r.outcome,
            "value": r.value,
            "threshold": r.threshold,
            "message": r.message,
            "checked_at": checked_at,
        }
        for r in scan.results
    ]


class ResultsStore(Protocol):
    def append(self, scan: QualityScan) -> int:
        """Store the scan's results; the number of rows written."""
        ...


class DuckDBResults:
    def __init__(self, warehouse_dir: Path) -> None:
        self.dir = warehouse_dir / RESULTS_FOLDER

    def append(self, scan: QualityScan) -> int:
        import duckdb

        from backbeat.warehouse.duckdb.types import duckdb_type, sql_string

        rows = result_rows(scan)
        self.dir.mkdir(parents=True, exist_ok=True)
        final = self.dir / f"{scan.run_id}.parquet"
        partial = self.dir / f".{scan.run_id}.parquet.tmp"
        names = [name for name, _ in RESULT_COLUMNS]
        with duckdb.connect() as connection:
            connection.execute("SET TimeZone = 'UTC'")
            columns = ", ".join(f'"{n}" {duckdb_type(t)}' for n, t in RESULT_COLUMNS)
            connection.execute(f"CREATE TABLE results ({columns})")
            placeholders = ", ".join("?" for _ in names)
            connection.executemany(
                f"INSERT INTO results VALUES ({placeholders})",  # noqa: S608 (placeholders only)
                [[row[n] for n in names] for row in rows],
            )
            connection.execute(f"COPY results TO {sql_string(partial)} (FORMAT parquet)")
        os.replace(partial, final)
        return len(rows)


class BigQueryResults:
    def __init__(self, settings: Settings, client: Any) -> None:
        self._client = client
        self._dataset = f"{client.project}.{settings.quality.results_dataset}"
        self._location = settings.warehouse.bigquery_location
        self._ready = False

    def _ensure_table(self) -> str:
        """The results table, created on first use where `backbeat bigquery init` has not."""
        from google.cloud import bigquery

        from backbeat.warehouse.bigquery.tables import quality_results_table

        project, dataset_id = self._dataset.split(".")
        table = quality_results_table(project, dataset_id)
        if not self._ready:
            dataset = bigquery.Dataset(self._dataset)
            dataset.location = self._location
            self._client.create_dataset(dataset, exists_ok=True)
            self._client.create_table(table, exists_ok=True)
            self._ready = True
        return f"{self._dataset}.{RESULTS_TABLE}"

    def append(self, scan: QualityScan) -> int:
        rows = result_rows(scan)
        for row in rows:
            row["checked_at"] = row["checked_at"].isoformat()
        errors = self._client.insert_rows_json(
            self._ensure_table(), rows, row_ids=[f"{scan.run_id}-{i}" for i in range(len(rows))]
        )
        if errors:
            raise RuntimeError(f"quality results not stored in BigQuery: {errors[:3]}")
        return len(rows)
