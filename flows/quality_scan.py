"""`quality_scan`: the Soda contracts of the warehouse as a Prefect flow.

A short recipe: read and validate the contracts (a mistyped key fails here, before anything
runs), verify them on the configured warehouse, keep every check's result in
`quality.results`, publish a table artifact and a markdown report, and fail the run naming
the failed checks. Triggered after each completed `build-warehouse` run and hourly on its own
(`prefect.yaml`); `backbeat quality` runs the same steps without Prefect.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from backbeat.quality.contracts import Contract, load_contracts
from backbeat.quality.report import markdown_report, result_table
from backbeat.quality.runner import resolve_layers, scan_warehouse
from backbeat.quality.scan import QualityScan
from backbeat.settings import get_settings


class QualityCheckFailed(RuntimeError):
    """Checks at failure level failed; the message names them."""


@task(name="load-contracts", cache_policy=NO_CACHE)
def read_contracts(layers: tuple[str, ...]) -> list[Contract]:
    """Every contract of the layers, parsed and checked against Soda's schema."""
    return load_contracts(layers=layers)


@task(name="verify-contracts", retries=1, retry_delay_seconds=10, cache_policy=NO_CACHE)
def verify_contracts(contracts: list[Contract], layers: tuple[str, ...]) -> QualityScan:
    """Run Soda over the warehouse and keep the results in quality.results."""
    settings = get_settings()
    logger = get_run_logger()
    scan = scan_warehouse(settings, layers, True, logger.info, contracts)
    logger.info("scan %s: %d results stored in quality.results", scan.run_id, len(scan.results))
    return scan


def publish_artifacts(scan: QualityScan) -> None:
    create_table_artifact(
        key="quality-results",
        table=result_table(scan),
        description=f"Every check of quality scan {scan.run_id}, failures first",
    )
    create_markdown_artifact(
        key="quality-report",
        markdown=markdown_report(scan),
        description="What the last quality scan found",
    )


@flow(name="quality-scan", log_prints=True)
def quality_scan(layer: str = "all") -> dict[str, Any]:
    """Verify the data contracts of one layer (raw, vault, marts) or all of them."""
    layers = resolve_layers(layer)
    scan = verify_contracts(read_contracts(layers), layers)
    publish_artifacts(scan)
    if scan.failed:
        names = "; ".join(r.label for r in scan.failed)
        raise QualityCheckFailed(f"{len(scan.failed)} quality checks failed: {names}")
    return {"run_id": scan.run_id, "checks": len(scan.results), "failed": 0}
