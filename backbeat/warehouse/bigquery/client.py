"""A BigQuery client for the configured project: Application Default Credentials or the
credentials a caller brings (the flows' GcpCredentials block) in production, anonymous
against an emulator (`BACKBEAT_WAREHOUSE_BIGQUERY_ENDPOINT`)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud import bigquery
from google.cloud.bigquery_storage_v1 import BigQueryWriteClient
from google.cloud.bigquery_storage_v1.services.big_query_write.transports import (
    BigQueryWriteGrpcTransport,
)

from backbeat.settings.warehouse import WarehouseSettings


class BigQueryConfigError(ValueError):
    """The BigQuery backend is not configured well enough to connect."""


@dataclass(frozen=True)
class GoogleAuth:
    """Credentials (and their project) from somewhere other than the environment."""

    credentials: Credentials
    project: str | None = None


def bigquery_client(settings: WarehouseSettings, auth: GoogleAuth | None = None) -> bigquery.Client:
    project = settings.bigquery_project or (auth.project if auth else None)
    if not project:
        raise BigQueryConfigError(
            "no BigQuery project: set BACKBEAT_WAREHOUSE_BIGQUERY_PROJECT (and credentials through "
            "Application Default Credentials, e.g. GOOGLE_APPLICATION_CREDENTIALS)"
        )
    if settings.bigquery_endpoint:
        return bigquery.Client(
            project=project,
            location=settings.bigquery_location,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=settings.bigquery_endpoint),
        )
    return bigquery.Client(
        project=project,
        location=settings.bigquery_location,
        credentials=auth.credentials if auth else None,
    )


def write_client(settings: WarehouseSettings) -> BigQueryWriteClient:
    """A Storage Write API client: Application Default Credentials, or plaintext gRPC to an
    emulator at `BACKBEAT_WAREHOUSE_BIGQUERY_WRITE_ENDPOINT`."""
    if settings.bigquery_write_endpoint:
        channel = grpc.insecure_channel(settings.bigquery_write_endpoint)
        return BigQueryWriteClient(transport=BigQueryWriteGrpcTransport(channel=channel))
    if settings.bigquery_endpoint:
        raise BigQueryConfigError(
            "BACKBEAT_WAREHOUSE_BIGQUERY_ENDPOINT points at an emulator but "
            "BACKBEAT_WAREHOUSE_BIGQUERY_WRITE_ENDPOINT (its gRPC host:port) is not set"
        )
    return BigQueryWriteClient()
