"""The warehouse: raw tables written by the loader, vault and marts built by the flows.

Two backends behind one set of names (`raw.<topic>`, `raw.dead_letter`, later `vault.*`,
`marts.*`): DuckDB + Parquet embedded (`duckdb/`), BigQuery in production (`bigquery/`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

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


def open_build(settings: Settings, auth: GoogleAuth | None = None) -> WarehouseBuild:
    """A build of the shipped models (warehouse_sql/) against the configured warehouse.

    `auth`: BigQuery credentials to use instead of Application Default Credentials.
    """
    from backbeat.warehouse.build import ModelStore, WarehouseBuild
    from backbeat.warehouse.models.spec import default_models

    warehouse = settings.warehouse
    store: ModelStore
    if warehouse.backend == "bigquery":
        from backbeat.warehouse.bigquery.client import BigQueryConfigError
        from backbeat.warehouse.bigquery.model_tables import BigQueryModelStore

        try:
            store = BigQueryModelStore(warehouse, auth)
        except BigQueryConfigError as exc:
            raise QueryError(str(exc)) from None
    else:
        from backbeat.warehouse.duckdb.model_files import ParquetModelStore
        from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse

        store = ParquetModelStore(DuckDBWarehouse(warehouse.dir))
    return WarehouseBuild(
        store,
        default_models(),
        overlap=timedelta(minutes=warehouse.build_overlap_minutes),
        royalty_pool=warehouse.royalty_pool_per_month,
        conversion_days=warehouse.offer_conversion_days,
    )


if TYPE_CHECKING:
    from backbeat.warehouse.bigquery.client import GoogleAuth
    from backbeat.warehouse.build import WarehouseBuild

__all__ = ["QueryError", "QueryResult", "Warehouse", "open_build", "open_warehouse"]
