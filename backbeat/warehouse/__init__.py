"""The warehouse: raw tables written by the loader, vault and marts built by the flows.

Two backends behind one set of names (`raw.<topic>`, `raw.dead_letter`, later `vault.*`,
`marts.*`): DuckDB + Parquet embedded (`duckdb/`), BigQuery in production.
"""

from __future__ import annotations

from backbeat.settings import Settings
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse, QueryError, QueryResult


def open_warehouse(settings: Settings) -> DuckDBWarehouse:
    """The configured warehouse for reading."""
    if settings.warehouse.backend != "duckdb":
        raise QueryError(
            f"the {settings.warehouse.backend} backend is not available yet in this version; "
            "set BACKBEAT_WAREHOUSE_BACKEND=duckdb"
        )
    return DuckDBWarehouse(settings.warehouse.dir)


__all__ = ["QueryError", "QueryResult", "open_warehouse"]
