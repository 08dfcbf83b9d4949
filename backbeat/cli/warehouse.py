"""`backbeat load` and `backbeat sql`: Kafka into the raw tables, and querying them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from backbeat.cli._utilities import (
    Addresses,
    ProcessId,
    cluster_environment,
    console,
    dataflow_failed,
    err_console,
    exit_with_error,
    print_json,
    require_kafka,
)
from backbeat.kafka.admin import watermarks
from backbeat.kafka.topics import LOADER_TOPICS
from backbeat.settings import Settings, get_settings
from backbeat.warehouse import QueryError, open_backend, open_warehouse
from backbeat.warehouse.freshness import freshness_sql
from dataflows.launch import EXIT_REFUSED, init_recovery, loader_command, run_dataflow

app = typer.Typer()


@app.command()
def load(
    exit_when_idle: Annotated[
        float | None,
        typer.Option(
            "--exit-when-idle",
            min=0,
            help="Stop once every partition has been drained for this many seconds "
            "(default: run until stopped).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Bytewax workers (default: setting)."),
    ] = None,
    process_id: ProcessId = None,
    addresses: Addresses = None,
    reload: Annotated[
        bool,
        typer.Option(
            "--reload",
            help="Forget the loader's recovery state and load every topic from the earliest "
            "record Kafka holds; rows already in raw are skipped. For a warehouse that lost "
            "rows (the loader refuses to resume then, and says so).",
        ),
    ] = False,
) -> None:
    """Run the loader dataflow: Kafka -> validated micro-batches -> raw tables, exactly once.

    Several processes (on one machine or many) split the Kafka partitions between them: start
    each with the same -a list and its own -i. Process k serves /metrics on the metrics port + k.
    """
    cluster = cluster_environment(process_id, addresses)
    settings = get_settings()
    require_kafka(settings.kafka)
    backend = open_backend(settings)
    try:  # fails here, with the reason, rather than in every worker
        backend.raw_writer().close()
    except ValueError as exc:
        exit_with_error(str(exc))
    loader = settings.loader
    if reload:
        _forget_recovery(loader.recovery_dir)
        _report_beyond_retention(settings)
    init_recovery(loader.recovery_dir)
    argv = loader_command(loader, exit_when_idle, workers)
    port = loader.metrics_port + (process_id or 0)
    metrics = f" (metrics on 127.0.0.1:{port}/metrics)" if loader.metrics_port else ""
    err_console.print(
        f"loading {settings.kafka.bootstrap_servers} -> {backend.location()}{metrics}",
        highlight=False,
    )
    code = run_dataflow(argv, dict(os.environ) | cluster)
    if code == EXIT_REFUSED:  # the loader said why
        raise typer.Exit(code)
    if code != 0:
        dataflow_failed("loader", code, cluster)
    _print_raw_counts()


def _forget_recovery(directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
        err_console.print(f"forgot the loader's recovery state in {directory}", highlight=False)


def _report_beyond_retention(settings: Settings) -> None:
    """Say loudly which stored-to-be offsets Kafka no longer has: those cannot be reloaded."""
    writer = open_backend(settings).raw_writer()
    try:
        stored = writer.stored_offsets()
    finally:
        writer.close()
    lost = [
        (topic, partition, stored.get((topic, partition), -1) + 1, low - 1)
        for (topic, partition), (low, _) in watermarks(settings.kafka, LOADER_TOPICS).items()
        if low > stored.get((topic, partition), -1) + 1 and (topic, partition) in stored
    ]
    for topic, partition, first, last in lost:
        err_console.print(
            f"[red]lost for good: {topic} partition {partition} offsets {first}..{last} are "
            "not in raw and no longer in Kafka (retention)[/]",
            highlight=False,
        )


def _print_raw_counts() -> None:
    try:
        counts = open_warehouse(get_settings()).raw_counts()
    except QueryError as exc:
        err_console.print(f"[yellow]could not count raw rows: {exc}[/]")
        return
    _print_table(["table", "rows in raw"], [(f"raw.{t}", f"{n:,}") for t, n in counts.items()])


def _shown(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _print_table(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*(_shown(v) for v in row))
    console.print(table)


@app.command()
def sql(
    query: Annotated[
        str,
        typer.Argument(
            help="One SQL statement in BigQuery's dialect, e.g. SELECT ... FROM raw.listen_events"
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON objects.")] = False,
) -> None:
    """Run one SQL statement (BigQuery dialect) against the configured warehouse."""
    try:
        result = open_warehouse(get_settings()).query(query)
    except QueryError as exc:
        exit_with_error(str(exc))
    if as_json:
        print_json(
            [
                {
                    c: _shown(v) if isinstance(v, bytes) else v
                    for c, v in zip(result.columns, row, strict=True)
                }
                for row in result.rows
            ]
        )
        return
    _print_table(result.columns, result.rows)
    err_console.print(f"{len(result.rows)} rows", highlight=False)


@app.command()
def freshness(
    since: Annotated[
        int, typer.Option("--since", min=1, help="Rows ingested in the last this many minutes.")
    ] = 60,
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON objects.")] = False,
) -> None:
    """How long events took to reach raw and the marts, per topic: produce->raw, event->raw
    and event->mart (until the first build that read them finished) lags."""
    try:
        result = open_warehouse(get_settings()).query(freshness_sql(since))
    except QueryError as exc:
        exit_with_error(str(exc))
    if as_json:
        print_json([dict(zip(result.columns, row, strict=True)) for row in result.rows])
        return
    _print_table(
        result.columns,
        [tuple(f"{v:.2f}" if isinstance(v, float) else v for v in row) for row in result.rows],
    )
    err_console.print(
        "event->raw and event->mart are only meaningful for events produced in real time "
        "(not backfills); rows_in_marts counts the rows a finished build has read",
        highlight=False,
    )
