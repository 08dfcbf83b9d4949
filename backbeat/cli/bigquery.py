"""`backbeat bigquery init`: set up the BigQuery backend."""

from __future__ import annotations

from typing import Annotated

import typer

from backbeat.cli._utilities import console, exit_with_error, print_json
from backbeat.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command()
def init(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Create the datasets, the partitioned, clustered raw tables and quality.results; print the
    IAM roles needed."""
    # Imported here: the Google client libraries take ~0.4 s to load, which no other command needs.
    from google.api_core.exceptions import GoogleAPIError

    from backbeat.warehouse.bigquery.client import BigQueryConfigError
    from backbeat.warehouse.bigquery.setup import SERVICE_ACCOUNT_ROLES, init_bigquery

    root = get_settings()
    settings = root.warehouse
    try:
        report = init_bigquery(settings, root.quality.results_dataset)
    except BigQueryConfigError as exc:
        exit_with_error(str(exc))
    except GoogleAPIError as exc:
        exit_with_error(f"BigQuery refused: {exc}")
    if as_json:
        print_json(
            {
                "project": settings.bigquery_project,
                "created_datasets": report.created_datasets,
                "created_tables": report.created_tables,
                "existing": report.existing,
                "added_columns": report.added_columns,
                "reclustered": report.reclustered,
                "roles": [role for role, _ in SERVICE_ACCOUNT_ROLES],
            }
        )
        return
    for name in report.created_datasets + report.created_tables:
        console.print(f"[green]created[/] {name}")
    for name in report.added_columns:
        console.print(f"[green]added column[/] {name}")
    for name in report.reclustered:
        console.print(f"[green]reclustered[/] {name} (by load time first: builds read by it)")
    for name in report.existing:
        console.print(f"[dim]exists[/]  {name}")
    console.print("\nThe service account of the loader and the flows needs:")
    for role, why in SERVICE_ACCOUNT_ROLES:
        console.print(f"  {role}  [dim]({why})[/]")
