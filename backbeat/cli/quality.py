"""`backbeat quality`: verify the Soda contracts of the warehouse, as the flow does."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from backbeat.cli._utilities import console, err_console, exit_with_error, print_json
from backbeat.settings import get_settings

app = typer.Typer()


@app.command()
def quality(
    layer: Annotated[str, typer.Option("--layer", "-l", help="all, raw, vault or marts.")] = "all",
    validate_only: Annotated[
        bool,
        typer.Option(
            "--validate-only", help="Check the contract files against Soda's schema; run nothing."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print every result as JSON.")] = False,
) -> None:
    """Verify the data contracts (warehouse_sql/**/*.contract.yml) and keep the results in
    quality.results; exits 1 when a check fails, naming it."""
    from backbeat.quality.contracts import ContractError, load_contracts
    from backbeat.quality.runner import resolve_layers, scan_warehouse, validate_contracts
    from backbeat.warehouse import QueryError

    settings = get_settings()
    try:
        layers = resolve_layers(layer)
        contracts = load_contracts(layers=layers)
        if validate_only:
            validate_contracts(settings, contracts)
            err_console.print(f"{len(contracts)} contracts are valid", highlight=False)
            return
        scan = scan_warehouse(
            settings,
            layers,
            progress=lambda line: err_console.print(f"  {line}", style="dim", highlight=False),
            contracts=contracts,
        )
    except (ContractError, QueryError, ValueError) as exc:
        exit_with_error(str(exc))
    if as_json:
        print_json(
            {
                "run_id": scan.run_id,
                "ok": scan.ok,
                "results": [r.__dict__ | {"label": r.label} for r in scan.results],
            }
        )
    elif scan.failed:
        table = Table("failed check", "value", "threshold", "detail", title="quality scan")
        for r in scan.failed:
            value = "" if r.value is None else f"{r.value:g}"
            table.add_row(r.label, value, r.threshold or "", (r.message or "")[:200])
        console.print(table)
    outcomes = ", ".join(f"{n} {o}" for o, n in sorted(scan.outcomes().items()))
    err_console.print(
        f"scan {scan.run_id}: {len(scan.results)} checks ({outcomes}); in quality.results",
        highlight=False,
    )
    if scan.failed:
        raise typer.Exit(1)
