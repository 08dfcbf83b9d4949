"""Where contracts run: the embedded DuckDB warehouse or BigQuery, as Soda data sources.

Each target names tables as Soda wants them (DuckDB `<datasource>/<schema>/<table>`: a longer
name silently skips the schema check; BigQuery `<datasource>/<project>/<dataset>/<table>`),
reports column types as its information schema does, translates Backbeat's SQL, and hands
Soda a connection Backbeat opened (so it reads the same views and credentials as every
other reader).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from backbeat.quality.contracts import ContractTarget
from backbeat.quality.results import BigQueryResults, DuckDBResults, ResultsStore
from backbeat.settings import Settings

if TYPE_CHECKING:
    from backbeat.warehouse.bigquery.client import GoogleAuth

DATA_SOURCE = "backbeat"
#: DuckDB type names that its information schema spells out (Soda compares the words).
_INFORMATION_SCHEMA_NAMES = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


class QualityTarget(ContractTarget, Protocol):
    def data_source(self) -> Any:
        """A Soda DataSourceImpl over Backbeat's own connection."""
        ...

    def results(self) -> ResultsStore:
        """Where this backend keeps `quality.results`."""
        ...

    def close(self) -> None: ...


class DuckDBTarget:
    """The embedded warehouse: Soda runs on an in-memory connection with the warehouse's
    `raw`, `vault` and `marts` views over the Parquet files (no file is locked)."""

    def __init__(self, settings: Settings) -> None:
        from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse

        self._dir = settings.warehouse.dir
        self.connection = DuckDBWarehouse(self._dir).connect()

    def dataset(self, layer: str, table: str) -> str:
        return f"{DATA_SOURCE}/{layer}/{table}"

    def column_type(self, layer: str, bigquery_type: str) -> str:
        from backbeat.warehouse.duckdb.types import duckdb_type
        from backbeat.warehouse.duckdb.warehouse import model_duckdb_type

        if layer == "raw":  # the loader's Parquet types (naive UTC timestamps)
            return duckdb_type(bigquery_type)
        kind = model_duckdb_type(bigquery_type)
        return _INFORMATION_SCHEMA_NAMES.get(kind, kind)

    def sql(self, query: str) -> str:
        from backbeat.warehouse.dialect import parse_statement, to_duckdb_sql

        return to_duckdb_sql(parse_statement(query))

    def data_source(self) -> Any:
        from soda_duckdb.common.data_sources.duckdb_data_source import DuckDBDataSourceImpl

        return DuckDBDataSourceImpl.from_existing_cursor(self.connection, DATA_SOURCE)

    def results(self) -> ResultsStore:
        return DuckDBResults(self._dir)

    def close(self) -> None:
        self.connection.close()


class BigQueryTarget:
    """BigQuery (or its emulator): Soda's client is made the way Backbeat makes its own."""

    def __init__(self, settings: Settings, auth: GoogleAuth | None = None) -> None:
        from backbeat.warehouse.bigquery.client import bigquery_client

        self._settings = settings
        self._client = bigquery_client(settings.warehouse, auth)
        self.project = self._client.project
        self._datasets = {
            **settings.warehouse.datasets(),
            "quality": settings.quality.results_dataset,
        }

    def dataset(self, layer: str, table: str) -> str:
        return f"{DATA_SOURCE}/{self.project}/{self._datasets[layer]}/{table}"

    def column_type(self, layer: str, bigquery_type: str) -> str:
        return bigquery_type

    def sql(self, query: str) -> str:
        from backbeat.warehouse.bigquery.warehouse import qualify_datasets

        return qualify_datasets(query, self.project, self._datasets)

    def data_source(self) -> Any:
        from backbeat.quality.soda_bigquery import existing_client_data_source

        return existing_client_data_source(self._client, DATA_SOURCE)

    def results(self) -> ResultsStore:
        return BigQueryResults(self._settings, self._client)

    def close(self) -> None:
        self._client.close()


def open_target(settings: Settings, auth: GoogleAuth | None = None) -> QualityTarget:
    """The configured warehouse as a place to run contracts (`auth`: BigQuery credentials
    other than the environment's, e.g. the flows' GcpCredentials block)."""
    if settings.warehouse.backend == "bigquery":
        return BigQueryTarget(settings, auth)
    return DuckDBTarget(settings)
