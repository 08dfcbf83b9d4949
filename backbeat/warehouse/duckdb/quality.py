"""The embedded warehouse as Soda's data source, and `quality.results` as Parquet files.

Soda runs on an in-memory connection with the warehouse's `raw`, `vault` and `marts` views
over the Parquet files (no file is locked), pinned to the files there are when the connection
opens (`DuckDBWarehouse.connect`): the checks of a contract, a reference from a link to its hub
among them, see one state of the warehouse while builds go on writing. Soda's DuckDB
dataset names are `<datasource>/<schema>/<table>`: a longer name silently skips the schema
check. Each scan's results are one Parquet file under `<warehouse>/quality/results/`, written
beside and renamed into place, so a reader sees a scan whole or not at all.
"""

from __future__ import annotations

import os
from typing import Any

import duckdb

from backbeat.warehouse.dialect import parse_statement, to_duckdb_sql
from backbeat.warehouse.duckdb.types import duckdb_type, sql_string
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse, model_duckdb_type
from backbeat.warehouse.quality_table import DATA_SOURCE, RESULT_COLUMNS, RESULTS_FOLDER

#: DuckDB type names that its information schema spells out (Soda compares the words).
_INFORMATION_SCHEMA_NAMES = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


class DuckDBQualityTarget:
    def __init__(self, warehouse: DuckDBWarehouse) -> None:
        self._results_dir = warehouse.dir / RESULTS_FOLDER
        self.connection = warehouse.pinned_connection()

    def dataset(self, layer: str, table: str) -> str:
        return f"{DATA_SOURCE}/{layer}/{table}"

    def column_type(self, layer: str, bigquery_type: str) -> str:
        if layer == "raw":  # the loader's Parquet types (naive UTC timestamps)
            return duckdb_type(bigquery_type)
        kind = model_duckdb_type(bigquery_type)
        return _INFORMATION_SCHEMA_NAMES.get(kind, kind)

    def sql(self, query: str) -> str:
        return to_duckdb_sql(parse_statement(query))

    def data_source(self) -> Any:
        from soda_duckdb.common.data_sources.duckdb_data_source import DuckDBDataSourceImpl

        return DuckDBDataSourceImpl.from_existing_cursor(self.connection, DATA_SOURCE)

    def store_results(self, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        run_id = rows[0]["run_id"]
        self._results_dir.mkdir(parents=True, exist_ok=True)
        final = self._results_dir / f"{run_id}.parquet"
        partial = self._results_dir / f".{run_id}.parquet.tmp"
        names = [name for name, _ in RESULT_COLUMNS]
        with duckdb.connect() as connection:
            connection.execute("SET TimeZone = 'UTC'")
            columns = ", ".join(f'"{n}" {duckdb_type(t)}' for n, t in RESULT_COLUMNS)
            connection.execute(f"CREATE TABLE results ({columns})")
            placeholders = ", ".join("?" for _ in names)
            connection.executemany(
                f"INSERT INTO results VALUES ({placeholders})",
                [[row[n] for n in names] for row in rows],
            )
            connection.execute(f"COPY results TO {sql_string(partial)} (FORMAT parquet)")
        os.replace(partial, final)
        return len(rows)

    def close(self) -> None:
        self.connection.close()
