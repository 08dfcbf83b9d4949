"""The warehouse: raw tables written by the loader, vault and marts built by the flows.

Every backend serves the same names (`raw.<topic>`, `raw.dead_letter`, `vault.*`,
`marts.*`, `quality.results`): DuckDB + Parquet embedded (`duckdb/`), BigQuery in
production (`bigquery/`). `open_backend` is the one place a backend is chosen; each is a
folder with a `backend.py` (see backend.py for what one provides).
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from typing import TYPE_CHECKING, cast

from backbeat.settings import Settings
from backbeat.warehouse.backend import WarehouseBackend
from backbeat.warehouse.queries import QueryError, QueryResult, Warehouse


def open_backend(settings: Settings, in_flow: bool = False) -> WarehouseBackend:
    """The backend `BACKBEAT_WAREHOUSE_BACKEND` names: `backbeat/warehouse/<name>/backend.py`
    (imported only when chosen, so Google's libraries load only for BigQuery).

    `in_flow`: running as a Prefect flow, where credentials may come from a block.
    """
    module = import_module(f"backbeat.warehouse.{settings.warehouse.backend}.backend")
    return cast(WarehouseBackend, module.Backend(settings, in_flow))


def open_warehouse(settings: Settings) -> Warehouse:
    """The configured warehouse for reading."""
    return open_backend(settings).reader()


def open_build(settings: Settings, in_flow: bool = False) -> WarehouseBuild:
    """A build of the shipped models (warehouse_sql/) against the configured warehouse."""
    from backbeat.warehouse.build import WarehouseBuild
    from backbeat.warehouse.models.spec import default_models

    warehouse = settings.warehouse
    return WarehouseBuild(
        open_backend(settings, in_flow).model_store(),
        default_models(),
        overlap=timedelta(minutes=warehouse.build_overlap_minutes),
        max_window=timedelta(minutes=warehouse.build_max_window_minutes),
        periodic_every=timedelta(minutes=warehouse.build_periodic_refresh_minutes),
        royalty_pool=warehouse.royalty_pool_per_month,
        conversion_days=warehouse.offer_conversion_days,
    )


if TYPE_CHECKING:
    from backbeat.warehouse.build import WarehouseBuild

__all__ = [
    "QueryError",
    "QueryResult",
    "Warehouse",
    "WarehouseBackend",
    "open_backend",
    "open_build",
    "open_warehouse",
]
