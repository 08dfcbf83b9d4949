"""A BigQuery client for the configured project: Application Default Credentials in
production, anonymous against an emulator (`BACKBEAT_WAREHOUSE_BIGQUERY_ENDPOINT`)."""

from __future__ import annotations

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from backbeat.settings.warehouse import WarehouseSettings


class BigQueryConfigError(ValueError):
    """The BigQuery backend is not configured well enough to connect."""


def bigquery_client(settings: WarehouseSettings) -> bigquery.Client:
    if not settings.bigquery_project:
        raise BigQueryConfigError(
            "no BigQuery project: set BACKBEAT_WAREHOUSE_BIGQUERY_PROJECT (and credentials through "
            "Application Default Credentials, e.g. GOOGLE_APPLICATION_CREDENTIALS)"
        )
    if settings.bigquery_endpoint:
        return bigquery.Client(
            project=settings.bigquery_project,
            location=settings.bigquery_location,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=settings.bigquery_endpoint),
        )
    return bigquery.Client(project=settings.bigquery_project, location=settings.bigquery_location)
