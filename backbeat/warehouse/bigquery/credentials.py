"""BigQuery credentials for flows from a prefect-gcp `GcpCredentials` block.

Deployments on Prefect Cloud or a work pool keep their service account in a block, not in
the worker's environment. The block has no endpoint field, so against an emulator the
client still talks anonymously to `BACKBEAT_WAREHOUSE_BIGQUERY_ENDPOINT`; the block then
supplies only the project.
"""

from __future__ import annotations

from backbeat.settings.warehouse import WarehouseSettings
from backbeat.warehouse.bigquery.client import GoogleAuth


def block_auth(settings: WarehouseSettings) -> GoogleAuth | None:
    """The configured block's credentials and project (None: use the environment's)."""
    if not settings.gcp_credentials_block:
        return None
    from prefect_gcp import GcpCredentials

    block = GcpCredentials.load(settings.gcp_credentials_block)
    return GoogleAuth(block.get_credentials_from_service_account(), block.project)
