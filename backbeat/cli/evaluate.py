"""`backbeat evaluate recommender`: how well recommendations predict the next play, beside
the popularity baseline, on any eventsim output (offers/evaluation.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from backbeat.cli._utilities import console, err_console, exit_with_error, print_json
from backbeat.settings import get_settings
from offers.evaluation import evaluate, read_page_views

app = typer.Typer(name="evaluate", help="Measure the real-time side offline.", no_args_is_help=True)


@app.command()
def recommender(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="eventsim output: files or directories (`backbeat generate -o DIR`, a replay "
            "directory, old-format logs).",
            show_default=False,
        ),
    ],
    split: Annotated[
        float,
        typer.Option(min=0.01, max=0.99, help="Share of page views (by time) to learn from first."),
    ] = 0.8,
    k: Annotated[int, typer.Option(min=1, max=100, help="Songs recommended (hit@k, MRR@k).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the JSON to this file.")
    ] = None,
) -> None:
    """Time-split next-play evaluation: the recommender the API serves against the most
    popular unheard songs, both from the same model at the same moment."""
    started = time.monotonic()
    try:
        views, skipped = read_page_views(paths)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        exit_with_error(str(exc))
    if not views:
        exit_with_error(f"no page views in {', '.join(map(str, paths))}")
    err_console.print(
        f"[dim]· {len(views):,} page views read in {time.monotonic() - started:.1f} s"
        + (f", {skipped:,} unreadable lines skipped" if skipped else "")
        + "[/]",
        highlight=False,
    )

    def progress(done: int) -> None:
        if done:
            err_console.print(f"[dim]· {done:,} / {len(views):,} page views[/]", highlight=False)

    result = evaluate(views, get_settings().sessions, split=split, k=k, progress=progress)
    figures = result.as_dict() | {"unreadable_lines": skipped}
    figures["seconds"] = round(time.monotonic() - started, 1)
    if output is not None:
        output.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2) + b"\n")
    if as_json:
        print_json(figures)
        return
    _print_table(figures)


def _print_table(figures: dict[str, Any]) -> None:
    k = figures["k"]
    console.print(
        f"{figures['plays_before_split']:,} plays learned before the split "
        f"({figures['songs_before_split']:,} songs); {figures['seconds']} s"
    )
    for block, title in (
        ("prequential", "every play after the split, predicted just before it"),
        ("first_play_after_split", "each user's first play after the split, model at the split"),
    ):
        found = figures[block]
        table = Table(title=title, title_justify="left")
        for column in ("", "plays", f"hit@{k}", f"MRR@{k}", "coverage"):
            table.add_column(column, justify="right" if column else "left")
        for name in ("recommender", "popularity"):
            row = found[name]
            table.add_row(
                name,
                f"{row['cases']:,}",
                f"{row['hit_at_k']:.4f}",
                f"{row['mrr_at_k']:.4f}",
                f"{row['coverage']:.4f}",
            )
        ratio = found["ratio"]
        table.add_row(
            "ratio",
            "",
            *(f"{ratio[m]:.3f}x" if ratio[m] is not None else "-" for m in ratio),
            style="bold",
        )
        console.print(table)
