"""`backbeat up | down | status | logs | prepare`: the local stack."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from backbeat import stack
from backbeat.cli._utilities import (
    console,
    err_console,
    exit_with_error,
    expected_errors,
    print_json,
    progress_printer,
)
from backbeat.settings import get_settings
from backbeat.stack.manager import ServiceStatus, service_named

app = typer.Typer()

Services = Annotated[
    list[str] | None,
    typer.Argument(
        help=(
            f"Services to act on (default: all of {', '.join(stack.SERVICE_NAMES)}); in a "
            "cluster, one node by name (kafka-2, redis-3)."
        )
    ),
]
JsonOutput = Annotated[
    bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")
]


def _print_statuses(statuses: list[ServiceStatus], as_json: bool) -> None:
    if as_json:
        print_json([s.to_dict() for s in statuses])
        return
    table = Table("service", "address", "healthy", "pid", "log")
    for s in statuses:
        health = "[green]yes[/]" if s.healthy else "[red]no[/]"
        table.add_row(s.service, s.address, health, str(s.pid or "-"), s.log_file)
    console.print(table)


@app.command()
def up(services: Services = None, as_json: JsonOutput = False) -> None:
    """Start Kafka (KRaft), Redis and the Prefect server on 127.0.0.1 and wait until they answer."""
    settings = get_settings()
    began = time.monotonic()
    with expected_errors():
        statuses = stack.up(settings, services or stack.SERVICE_NAMES, progress_printer())
    err_console.print(f"[green]stack up[/] in {time.monotonic() - began:.1f}s", highlight=False)
    _print_statuses(statuses, as_json)


@app.command()
def down(services: Services = None) -> None:
    """Stop the local services (data stays in the state directory)."""
    with expected_errors():
        stopped = stack.down(get_settings(), services or stack.SERVICE_NAMES, progress_printer())
    err_console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status(services: Services = None, as_json: JsonOutput = False) -> None:
    """Show each service, its address and whether it answers. Exits 1 if any does not."""
    with expected_errors():
        statuses = stack.status(get_settings(), services or stack.SERVICE_NAMES)
    _print_statuses(statuses, as_json)
    if not all(s.healthy for s in statuses):
        raise typer.Exit(1)


@app.command()
def logs(
    service: Annotated[
        str,
        typer.Argument(help=f"One of {', '.join(stack.SERVICE_NAMES)}, or a node (kafka-2)."),
    ],
    lines: Annotated[
        int, typer.Option("--lines", "-n", min=1, help="How many lines to show.")
    ] = 50,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
) -> None:
    """Print the end of a service's log file."""
    with expected_errors():
        process = service_named(get_settings(), service).process
    if not process.log_file.exists():
        exit_with_error(f"{service} has no log yet at {process.log_file}; has it been started?")
    for line in process.tail(lines):
        console.out(line, highlight=False)
    if follow:
        with process.log_file.open(errors="replace") as log:
            log.seek(0, 2)
            try:
                while True:
                    line = log.readline()
                    if line:
                        console.out(line.rstrip("\n"), highlight=False)
                    else:
                        time.sleep(0.25)
            except KeyboardInterrupt:
                pass


@app.command()
def prepare() -> None:
    """Check java/mvn/redis-server and fetch Kafka's jars, without starting anything."""
    with expected_errors():
        stack.prepare(get_settings(), progress_printer())
    err_console.print("[green]local stack prerequisites ready[/]")
