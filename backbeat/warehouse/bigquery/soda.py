"""soda-bigquery over a client Backbeat made (credentials from a Prefect block, or the
emulator's endpoint), instead of the client Soda would build from connection properties.

soda-bigquery 4.28 has no such constructor (soda-duckdb has `from_existing_cursor`); this
connection takes a ready client and fills in what its own `_create_connection` would set.
"""

from __future__ import annotations

from typing import Any

from google.cloud import bigquery
from google.cloud.bigquery import dbapi
from soda_bigquery.common.data_sources.bigquery_data_source import BigQueryDataSourceImpl
from soda_bigquery.common.data_sources.bigquery_data_source_connection import (
    BigQueryContextAuth,
    BigQueryDataSource,
    BigQueryDataSourceConnection,
)


class _ExistingClientConnection(BigQueryDataSourceConnection):  # type: ignore[misc]
    def __init__(self, name: str, properties: BigQueryContextAuth, client: bigquery.Client):
        self._existing_client = client
        super().__init__(name, properties)

    def _create_connection(self, config: BigQueryContextAuth) -> Any:
        client = self._existing_client
        self.client = client
        self.credentials = client._credentials
        self.project_id = client.project
        self.storage_project_id = client.project
        self.location = client.location
        self.client_options = None
        self.labels: dict[str, str] = {}
        return dbapi.Connection(client)


def existing_client_data_source(client: bigquery.Client, name: str) -> Any:
    """A Soda BigQuery data source that runs every query through `client`."""
    properties = BigQueryContextAuth(
        use_context_auth=True, project_id=client.project, location=client.location
    )
    model = BigQueryDataSource(name=name, connection=properties)
    return BigQueryDataSourceImpl(
        data_source_model=model,
        connection=_ExistingClientConnection(name, properties, client),
    )
