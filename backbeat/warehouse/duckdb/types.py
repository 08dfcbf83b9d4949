"""BigQuery types (the SQL's dialect) to DuckDB types.

DuckDB: https://duckdb.org/docs/sql/data_types/overview ; BigQuery:
https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types
"""

from __future__ import annotations

from typing import Final

DUCKDB_TYPES: Final = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "BOOL": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMP",
    "DATE": "DATE",
    "BYTES": "BLOB",
}


def duckdb_type(bigquery_type: str) -> str:
    try:
        return DUCKDB_TYPES[bigquery_type]
    except KeyError:
        raise ValueError(f"no DuckDB type for BigQuery type {bigquery_type!r}") from None


def sql_string(value: object) -> str:
    """`value` (a path, usually) as a SQL string literal: where DuckDB takes no parameter
    (COPY ... TO, SET, a view's read_parquet), a quote in a folder name must not end it."""
    return "'" + str(value).replace("'", "''") + "'"
