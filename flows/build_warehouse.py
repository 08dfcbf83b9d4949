"""`build_warehouse`: raw -> vault -> marts as a Prefect flow, with artifacts people read.

A short recipe over the same build `backbeat build` runs (backbeat/warehouse/build.py):
plan the window, build the vault, build the marts, record the watermark. The layers are
tasks with retries; retrying one is safe because every vault model is insert-only and
anti-joins its own table, and marts are rebuilt or anti-joined too. Two builds never
overlap: the flow holds a slot of the global concurrency limit `backbeat-warehouse-build`
(limit 1, created on first use), and the DuckDB store also takes a file lock.

Each run publishes a table artifact (rows written per model) and a markdown summary, then
merges the raw files the loader wrote meanwhile (flows/compact_raw.py), after the marts are
readable and outside the build's lock: a stream's raw file count stays bounded however long
the builds run, and no build pays for it in latency.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency

from backbeat.settings import get_settings
from backbeat.warehouse import open_build
from backbeat.warehouse.build import BuildReport, BuildWindow, ModelRun, WarehouseBuild
from backbeat.warehouse.models.spec import LAYERS
from flows.compact_raw import OLD_AFTER_DAYS, compact_folders

BUILD_LIMIT = "backbeat-warehouse-build"


@task(name="plan-build", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def plan_build(build: WarehouseBuild, refresh_all: bool = False) -> BuildWindow:
    window = build.plan(refresh_all)
    get_run_logger().info(
        "build %s: raw ingested in (%s, %s]", window.build_id, window.since, window.until
    )
    return window


@task(name="plan-backfill", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def plan_backfill(build: WarehouseBuild, start: date, end: date) -> BuildWindow:
    window = build.plan_backfill(start, end)
    get_run_logger().info("backfill %s: events dated %s..%s", window.build_id, start, end)
    return window


@task(name="build-layer", retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def build_layer(build: WarehouseBuild, window: BuildWindow, layer: str) -> list[ModelRun]:
    logger = get_run_logger()
    runs = []
    for run in build.runs(window, (layer,)):
        logger.info("%s: %d rows in %.2f s", run.model, run.rows_added, run.seconds)
        runs.append(run)
    return runs


@task(name="record-build", cache_policy=NO_CACHE)
def record_build(build: WarehouseBuild, report: BuildReport) -> None:
    build.finish(report)


def ensure_build_limit() -> None:
    """The global concurrency limit that keeps builds apart (created with one slot)."""
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(BUILD_LIMIT, limit=1)


def publish_artifacts(report: BuildReport) -> None:
    window = report.window
    create_table_artifact(
        key="warehouse-build",
        table=[
            {
                "model": run.model,
                "materialized": run.materialized,
                "rows_written": run.rows_added,
                "seconds": round(run.seconds, 2),
            }
            for run in report.runs
        ],
        description=f"Rows written per model by build {window.build_id}",
    )
    lines = [
        "# Warehouse build",
        "",
        f"{window.describe()}.",
        "",
        "| layer | models | rows written |",
        "|---|---|---|",
        *(f"| {layer} | {n} | {rows:,} |" for layer, n, rows in report.by_layer()),
    ]
    create_markdown_artifact(
        key="warehouse-build-summary",
        markdown="\n".join(lines),
        description="What the last warehouse build did",
    )


def run_build(
    backfill: tuple[date, date] | None = None, refresh_all: bool = False
) -> dict[str, Any]:
    """The body of both flows: one build (or backfill) under the limit and the lock."""
    settings = get_settings()
    build = open_build(settings, in_flow=True)
    ensure_build_limit()
    with concurrency(BUILD_LIMIT, occupy=1), build.store.lock():
        window = plan_backfill(build, *backfill) if backfill else plan_build(build, refresh_all)
        report = BuildReport(window)
        for layer in LAYERS:
            report.runs.extend(build_layer(build, window, layer))
        record_build(build, report)
    publish_artifacts(report)
    compacted = compact_folders(OLD_AFTER_DAYS)
    return {
        "build_id": window.build_id,
        "vault_rows": report.rows_added("vault"),
        "marts_rows": report.rows_added("marts"),
        "raw_files_merged": compacted.files_before,
    }


@flow(name="build-warehouse", log_prints=True)
def build_warehouse(refresh_all: bool = False) -> dict[str, Any]:
    """Build the vault and marts from raw rows loaded since the last build.

    The periodic marts wait for their period (BACKBEAT_WAREHOUSE_BUILD_PERIODIC_REFRESH_MINUTES)
    unless `refresh_all`.
    """
    return run_build(refresh_all=refresh_all)


@flow(name="backfill-warehouse", log_prints=True)
def backfill(start: date, end: date) -> dict[str, Any]:
    """Re-read every raw row of events dated start..end (UTC) into the vault and marts.

    Idempotent (the vault keeps what it has); the incremental builds' watermark is left alone.
    """
    return run_build((start, end))
