"""`backbeat build`: staging -> vault -> marts, once, without Prefect (the flows call the same)."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from backbeat.cli._utilities import (
    console,
    err_console,
    exit_with_error,
    print_json,
    stop_on_signals,
)
from backbeat.settings import get_settings
from backbeat.warehouse import QueryError, open_build

app = typer.Typer()


@app.command()
def build(
    first: Annotated[
        datetime | None,
        typer.Option(
            "--from",
            formats=["%Y-%m-%d"],
            help="Backfill: re-read every raw row of events from this date (UTC) on...",
        ),
    ] = None,
    last: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="...to this date (default: --from)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    continuous: Annotated[
        bool,
        typer.Option(
            "--continuous",
            help="Build again and again, each build a run of the build-warehouse flow on the "
            "configured Prefect API, until Ctrl-C or SIGTERM.",
        ),
    ] = False,
    every: Annotated[
        float | None,
        typer.Option(
            "--every",
            min=1,
            help="With --continuous: seconds from one build's start to the next "
            "(default BACKBEAT_WAREHOUSE_BUILD_EVERY_SECONDS).",
        ),
    ] = None,
) -> None:
    """Build the vault and marts from the raw rows loaded since the last build.

    With --from/--to, a backfill: every raw row of those event dates is read again, whenever
    it was loaded (what the vault has is kept, nothing is doubled); the watermark of the
    incremental builds is left alone. With --continuous, the marts follow the stream.
    """
    if last is not None and first is None:
        exit_with_error("--to needs --from")
    if continuous:
        if first is not None or as_json:
            exit_with_error("--continuous builds incrementally: no --from/--to or --json")
        _build_continuously(every)
        return
    if every is not None:
        exit_with_error("--every needs --continuous")
    backfill = (first.date(), (last or first).date()) if first else None
    try:
        warehouse_build = open_build(get_settings())
    except QueryError as exc:
        exit_with_error(str(exc))
    began = time.perf_counter()
    try:
        report = warehouse_build.run(
            progress=lambda run: err_console.print(
                f"  {run.model:<36} {run.rows_added:>10,} rows  {run.seconds:6.2f} s",
                highlight=False,
            ),
            backfill=backfill,
            refresh_all=True,  # someone asked for this build: every mart current
        )
    except (RuntimeError, ValueError) as exc:  # another build holds the lock; bad dates
        exit_with_error(str(exc))
    window = report.window
    if as_json:
        print_json(
            {
                "build_id": window.build_id,
                "since": window.since.isoformat(),
                "until": window.until.isoformat(),
                "runs": [
                    {"model": r.model, "rows_added": r.rows_added, "seconds": round(r.seconds, 3)}
                    for r in report.runs
                ],
            }
        )
        return
    table = Table("layer", "models", "rows written")
    for layer, models_run, rows in report.by_layer():
        table.add_row(layer, str(models_run), f"{rows:,}")
    console.print(table)
    err_console.print(f"{window.describe()}, {time.perf_counter() - began:.1f} s", highlight=False)


@app.command()
def deploy() -> None:
    """Register prefect.yaml's deployments (and their work pool) with the Prefect API."""
    from flows.deployments import WORK_POOL, deploy_all, ensure_work_pool

    api_url = str(get_settings().prefect.api_url)
    try:
        created = ensure_work_pool(api_url)
    except Exception as exc:  # the API is down or refuses: say which, in one line
        exit_with_error(f"the Prefect API at {api_url} did not answer ({exc}); is it up?")
    err_console.print(
        f"work pool {WORK_POOL}: {'created' if created else 'exists'} at {api_url}",
        highlight=False,
    )
    result = deploy_all(api_url)
    if result.returncode != 0:
        exit_with_error(f"prefect deploy failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    console.print(result.stdout.strip()[-3000:], highlight=False, markup=False)
    err_console.print(
        f"start a worker to run them: uv run prefect worker start --pool {WORK_POOL}",
        highlight=False,
    )


@app.command()
def models(
    docs: Annotated[bool, typer.Option("--docs", help="Print the markdown reference.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the reference to this file.")
    ] = None,
) -> None:
    """The warehouse models (warehouse_sql/): layer, how each is built, its grain."""
    from backbeat.warehouse.models.reference import render_reference
    from backbeat.warehouse.models.spec import build_order, default_models

    found = default_models()
    if docs or output:
        text = render_reference(found)
        if output:
            output.write_text(text, encoding="utf-8")
            err_console.print(f"wrote {output}", highlight=False)
        else:
            console.print(text, markup=False, highlight=False)
        return
    table = Table("model", "built", "grain")
    for model in build_order(found):
        built = model.materialized + (", periodic" if model.refresh == "periodic" else "")
        table.add_row(model.full_name, built, " ".join(model.grain.split()))
    console.print(table)


def _build_continuously(every: float | None) -> None:
    from flows.continuous import ContinuousReport, build_continuously
    from flows.prefect_server import using_prefect_api

    settings = get_settings()
    every_s = every if every is not None else settings.warehouse.build_every_seconds
    err_console.print(
        f"building every {every_s:g} s as runs of build-warehouse on "
        f"{settings.prefect.api_url} (Ctrl-C stops after the build in progress)",
        highlight=False,
    )

    def built(result: dict[str, Any], seconds: float) -> None:
        err_console.print(
            f"build {result['build_id']}: {result['vault_rows']:,} vault rows, "
            f"{result['marts_rows']:,} mart rows, {seconds:.1f} s",
            highlight=False,
        )

    def failed(exc: BaseException) -> None:
        err_console.print(f"[yellow]a build failed, the next starts on time: {exc}[/]")

    stop = threading.Event()
    reports: list[ContinuousReport] = []

    def run() -> None:
        with using_prefect_api(settings):
            reports.append(build_continuously(every_s, stop, on_build=built, on_failure=failed))

    # Off the main thread, Prefect's flow engine installs no SIGTERM handler of its own (it
    # would end the build in progress with an error): Ctrl-C and SIGTERM reach stop_on_signals,
    # and the build in progress finishes. A second one ends the process (a daemon thread).
    builds = threading.Thread(target=run, name="continuous-builds", daemon=True)
    with stop_on_signals(stop):
        builds.start()
        while builds.is_alive():
            builds.join(0.5)
    if not reports:
        exit_with_error("the continuous builds stopped unexpectedly (see above)")
    report = reports[0]
    err_console.print(
        f"stopped after {report.builds:,} builds ({report.failed:,} failed): "
        f"{report.vault_rows:,} vault rows, {report.marts_rows:,} mart rows",
        highlight=False,
    )


@app.command()
def compact(
    min_age_days: Annotated[
        int,
        typer.Option(
            "--min-age-days",
            min=0,
            help="Event dates at least this old are merged whole; newer ones in size tiers.",
        ),
    ] = 2,
) -> None:
    """Merge the loader's small raw Parquet files (DuckDB backend), keeping every row once.

    Continuous builds do this after every build; this is for a warehouse nobody builds."""
    from backbeat.warehouse import open_backend

    backend = open_backend(get_settings())
    report = backend.compact_raw(min_age_days)
    if report is None:
        exit_with_error(f"the {backend.name} backend compacts its own storage")
    console.print(
        f"{report.folders} folders: {report.files_before:,} files -> {report.files_after:,}, "
        f"{report.rows:,} rows kept",
        highlight=False,
    )
