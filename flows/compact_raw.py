"""`compact_raw`: merge the loader's small raw Parquet files (DuckDB backend), hourly.

Each event-date folder older than `min_age_days` becomes one file per Kafka partition, named
for its offsets, swapped in atomically (backbeat/warehouse/duckdb/compaction.py). BigQuery
needs none of this: it compacts its own storage.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from backbeat.settings import get_settings
from backbeat.warehouse import open_backend
from backbeat.warehouse.backend import CompactionReport


@task(name="compact-raw-folders", retries=1, retry_delay_seconds=30, cache_policy=NO_CACHE)
def compact_folders(min_age_days: int) -> CompactionReport:
    backend = open_backend(get_settings(), in_flow=True)
    report = backend.compact_raw(min_age_days)
    if report is None:
        get_run_logger().info("the %s backend compacts its own storage", backend.name)
        return CompactionReport()
    return report


@flow(name="compact-raw")
def compact_raw(min_age_days: int = 2) -> dict[str, Any]:
    """Merge raw files of event dates at least `min_age_days` old."""
    report = compact_folders(min_age_days)
    create_markdown_artifact(
        key="raw-compaction",
        markdown=(
            f"# Raw compaction\n\n{report.folders} folders: {report.files_before:,} files -> "
            f"{report.files_after:,}, {report.rows:,} rows kept."
        ),
        description="What the last compaction merged",
    )
    return asdict(report)
