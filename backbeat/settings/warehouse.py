"""Which warehouse Backbeat writes to, and where it lives."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from backbeat.settings.base import SettingsGroup, settings_config


class WarehouseSettings(SettingsGroup):
    """The warehouse: DuckDB + Parquet embedded (default) or BigQuery."""

    group = "warehouse"
    model_config = settings_config(group)

    backend: Literal["duckdb", "bigquery"] = Field(
        default="duckdb",
        description="`duckdb` (embedded: Parquet raw files and a DuckDB file) or `bigquery`.",
    )
    dir: Path = Field(
        default=Path(".backbeat/warehouse"),
        description="DuckDB backend: raw Parquet in `raw/`, each vault and marts table as "
        "Parquet files in `<layer>/<table>/`.",
    )
    build_memory_limit: str | None = Field(
        default=None,
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB backend: memory a build may hold (e.g. `4GB`) before it spills to "
        "`<dir>/.staging/spill`. Unset: DuckDB's default, 80% of the machine's memory (a full "
        "build of 10M events peaks near 15 GB).",
    )
    bigquery_project: str | None = Field(
        default=None, description="BigQuery backend: the Google Cloud project of the datasets."
    )
    bigquery_location: str = Field(default="US", description="BigQuery backend: dataset location.")
    gcp_credentials_block: str | None = Field(
        default=None,
        description="BigQuery backend, Prefect flows: name of a prefect-gcp `GcpCredentials` "
        "block to authenticate with (and take the project from, when "
        "BACKBEAT_WAREHOUSE_BIGQUERY_PROJECT is unset). Unset: Application Default Credentials.",
    )
    bigquery_endpoint: str | None = Field(
        default=None,
        description="BigQuery API endpoint override (an emulator); requests to it are anonymous.",
    )
    bigquery_write_endpoint: str | None = Field(
        default=None,
        description="Storage Write API `host:port` override (an emulator; plaintext gRPC).",
    )
    raw_dataset: str = Field(default="raw", description="Dataset (schema) of the raw tables.")
    vault_dataset: str = Field(default="vault", description="Dataset (schema) of the Data Vault.")
    marts_dataset: str = Field(default="marts", description="Dataset (schema) of the marts.")
    build_every_seconds: float = Field(
        default=15.0,
        ge=1,
        description="`backbeat build --continuous`: a build starts this long after the "
        "previous one started (at once if it took longer; never two at once).",
    )
    build_max_window_minutes: float = Field(
        default=5.0,
        gt=0,
        description="A build reads at most this much raw by load time (from the first row "
        "after the last watermark): a backlog (builds paused, a loader catching up) is caught "
        "up over several builds instead of one that must hold it all in memory. At 5,000 "
        "events/s, 5 minutes is 1.5M rows.",
    )
    build_periodic_refresh_minutes: float = Field(
        default=10.0,
        ge=0,
        description="The marts marked `refresh: periodic` (exact distinct counts over a day or "
        "a month: top songs, hourly and daily activity, royalties) are recomputed when a "
        "build's watermark enters a new period of this length, for what every build since "
        "touched, not by every build: a refresh re-reads the whole days it covers. `backbeat "
        "build` (once) refreshes them always; 0: every build.",
    )
    build_overlap_minutes: float = Field(
        default=2.0,
        ge=0,
        description="Each build re-reads raw rows ingested this long before the last build's "
        "watermark: a micro-batch is stamped before it is written, so it can become visible "
        "a few seconds after a build looked. Re-reading adds nothing; more costs time.",
    )
    offer_conversion_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="marts.offer_performance: an offer converts if its goal follows within "
        "this many days (an upgrade after a premium trial; no downgrade or cancellation after "
        "a retention offer).",
    )
    royalty_pool_per_month: float = Field(
        default=100_000.0,
        ge=0,
        description="Money shared each month among artists by paid plays "
        "(marts.artist_royalties_monthly).",
    )

    def datasets(self) -> dict[str, str]:
        """The BigQuery dataset of each logical name SQL uses (`raw.`, `vault.`, `marts.`)."""
        return {"raw": self.raw_dataset, "vault": self.vault_dataset, "marts": self.marts_dataset}
