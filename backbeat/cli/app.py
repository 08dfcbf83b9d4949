"""The root `backbeat` command; each command group lives in its own module."""

from __future__ import annotations

from typing import Annotated

import typer

from backbeat import __version__
from backbeat.cli import (
    bigquery,
    build,
    config,
    dashboard,
    demo,
    evaluate,
    events,
    kafka,
    quality,
    realtime,
    stack,
    warehouse,
)
from backbeat.cli._utilities import exit_with_error
from backbeat.settings import SettingsError, get_settings

app = typer.Typer(
    name="backbeat",
    help="Backbeat: eventsim-compatible events through Kafka and Bytewax into a Data Vault "
    "warehouse, with real-time offers from Redis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals can hold credentials
)
app.add_typer(stack.app)
app.add_typer(kafka.app)
app.add_typer(events.app)
app.add_typer(warehouse.app)
app.add_typer(build.app)
app.add_typer(quality.app)
app.add_typer(dashboard.app)
app.add_typer(demo.app)
app.add_typer(realtime.app)
app.add_typer(evaluate.app)
app.add_typer(config.app, name="config", help="Show the configuration and its reference.")
app.add_typer(bigquery.app, name="bigquery", help="Set up the BigQuery backend.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"backbeat {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Backbeat command line."""
    try:  # a wrong environment is one line naming the variable, before any command runs
        get_settings()
    except SettingsError as exc:
        exit_with_error(str(exc))


def main() -> None:
    app()
