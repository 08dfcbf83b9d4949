"""`backbeat config show | docs`: what is configured, and the reference of every setting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backbeat.cli._utilities import console, err_console, exit_with_error, print_json
from backbeat.settings import get_settings
from backbeat.settings.reference import settings_reference, settings_table

app = typer.Typer(no_args_is_help=True)


@app.command()
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Print every setting in force and its environment variable (secrets masked)."""
    rows = settings_table(get_settings())
    if as_json:
        print_json({row.env: row.value for row in rows})
        return
    from rich.table import Table

    table = Table("variable", "value")
    for row in rows:
        table.add_row(row.env, row.value)
    console.print(table)


@app.command()
def docs(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if OUTPUT differs from the generated reference.")
    ] = False,
) -> None:
    """Generate the configuration reference (docs/configuration.md) from the settings model."""
    text = settings_reference()
    if output is None:
        console.out(text, highlight=False, end="")
        return
    if check:
        if not output.exists() or output.read_text() != text:
            exit_with_error(f"{output} is out of date; run `backbeat config docs -o {output}`")
        return
    output.write_text(text)
    err_console.print(f"wrote {output}")
