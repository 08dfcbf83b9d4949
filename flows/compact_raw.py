"""`compact_raw`: merge the loader's small raw Parquet files (DuckDB backend).

Every build ends with it (flows/build_warehouse.py), so the files a stream adds are merged
as fast as they come: a tier at a time in the days still being written, whole in event dates
at least `min_age_days` old (backbeat/warehouse/duckdb/compaction.py); the hourly deployment
covers a warehouse nobody builds. BigQuery needs none of this: it compacts its own storage.
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

#: Event dates this many days old are over but for stragglers: their files are merged whole.
OLD_AFTER_DAYS = 2


@task(name="compact-raw-folders", retries=1, retry_delay_seconds=30, cache_policy=NO_CACHE)
def compact_folders(min_age_days: int) -> CompactionReport:
    backend = open_backend(get_settings(), in_flow=True)
    report = backend.compact_raw(min_age_days)
    if report is None:
        get_run_logger().info("the %s backend compacts its own storage", backend.name)
        return CompactionReport()
    return report


@flow(name="compact-raw")
def compact_raw(min_age_days: int = OLD_AFTER_DAYS) -> dict[str, Any]:
    """Merge raw files: in tiers in recent dates, whole in those `min_age_days` old."""
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
