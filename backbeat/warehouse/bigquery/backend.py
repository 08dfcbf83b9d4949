"""BigQuery as a `WarehouseBackend`: the configured project's datasets, read and written with
the official clients (Application Default Credentials, a flow's GcpCredentials block, or
anonymously against an emulator)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TypeVar

from backbeat.settings import Settings
from backbeat.warehouse.bigquery.client import BigQueryConfigError, GoogleAuth, bigquery_client
from backbeat.warehouse.bigquery.credentials import block_auth
from backbeat.warehouse.bigquery.model_tables import BigQueryModelStore
from backbeat.warehouse.bigquery.quality import BigQueryQualityTarget
from backbeat.warehouse.bigquery.raw_writer import BigQueryRawWriter
from backbeat.warehouse.bigquery.warehouse import BigQueryWarehouse
from backbeat.warehouse.queries import QueryError

T = TypeVar("T")


def _configured(make: Callable[[], T]) -> T:
    """`make()`, with a configuration gap reported as the readers' QueryError."""
    try:
        return make()
    except BigQueryConfigError as exc:
        raise QueryError(str(exc)) from None


class Backend:
    name = "bigquery"

    def __init__(self, settings: Settings, in_flow: bool = False) -> None:
        """`in_flow`: authenticate with the GcpCredentials block named in the settings, if
        any (flows on a work pool keep their service account there)."""
        self._settings = settings
        self._warehouse = settings.warehouse
        self._in_flow = in_flow

    @cached_property
    def _auth(self) -> GoogleAuth | None:
        """Loaded when a client is first made (compaction, say, needs none)."""
        return block_auth(self._warehouse) if self._in_flow else None

    def location(self) -> str:
        return f"BigQuery {self._warehouse.bigquery_project}.{self._warehouse.raw_dataset}"

    def reader(self) -> BigQueryWarehouse:
        return _configured(lambda: BigQueryWarehouse(self._warehouse, self._auth))

    def raw_writer(self) -> BigQueryRawWriter:
        return BigQueryRawWriter(self._warehouse)

    def model_store(self) -> BigQueryModelStore:
        return _configured(lambda: BigQueryModelStore(self._warehouse, self._auth))

    def quality_target(self) -> BigQueryQualityTarget:
        client = bigquery_client(self._warehouse, self._auth)
        datasets = {
            **self._warehouse.datasets(),
            "quality": self._settings.quality.results_dataset,
        }
        return BigQueryQualityTarget(client, datasets, self._warehouse.bigquery_location)

    def compact_raw(self, min_age_days: int) -> None:
        return None  # BigQuery compacts its own storage
