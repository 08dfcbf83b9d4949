"""The warehouse: raw tables written by the loader, vault and marts built by the flows.

Two backends behind one set of names (`raw.<topic>`, `raw.dead_letter`, later `vault.*`,
`marts.*`): DuckDB + Parquet embedded (`duckdb/`), BigQuery in production (`bigquery/`).
"""

from __future__ import annotations

from backbeat.settings import Settings
from backbeat.warehouse.queries import QueryError, QueryResult, Warehouse


def open_warehouse(settings: Settings) -> Warehouse:
    """The configured warehouse for reading (Google's libraries load only for BigQuery)."""
    if settings.warehouse.backend == "bigquery":
        from backbeat.warehouse.bigquery.client import BigQueryConfigError
        from backbeat.warehouse.bigquery.warehouse import BigQueryWarehouse

        try:
            return BigQueryWarehouse(settings.warehouse)
        except BigQueryConfigError as exc:
            raise QueryError(str(exc)) from None
    from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse

    return DuckDBWarehouse(settings.warehouse.dir)


__all__ = ["QueryError", "QueryResult", "Warehouse", "open_warehouse"]
