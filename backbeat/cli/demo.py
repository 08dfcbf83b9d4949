"""`backbeat demo`: the platform end to end on the embedded defaults, with a summary."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.live import Live
from rich.text import Text

from backbeat.cli._utilities import (
    console,
    err_console,
    exit_with_error,
    print_json,
    sigterm_as_interrupt,
)
from backbeat.emit.runs import RunStats
from backbeat.settings import get_settings

app = typer.Typer()


@app.command()
def demo(
    users: Annotated[int, typer.Option("--users", "-n", min=1, help="Simulated users.")] = 2000,
    history_hours: Annotated[
        float, typer.Option("--history-hours", min=0, help="Hours of history, sent at once.")
    ] = 24.0,
    live_seconds: Annotated[
        float,
        typer.Option(
            "--live-seconds", min=0, help="Then this long in real time; users answer offers."
        ),
    ] = 60.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulation.")] = 7,
    keep_running: Annotated[
        bool,
        typer.Option(
            "--keep-running",
            help="Leave loader, sessions, API, dashboard and builds up until Ctrl-C.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run Backbeat end to end: stack up, loader, sessions, API, dashboard and continuous
    builds running, a simulated population through Kafka, a last build and a quality scan
    through Prefect, and a summary of events, rows per layer, freshness, quality and offers
    read back from the warehouse. The stack stays up afterwards (`backbeat down`)."""
    from backbeat.demo.processes import DemoProcessError
    from backbeat.demo.run import DemoOptions, demo_running
    from backbeat.demo.summary import print_summary
    from backbeat.kafka.producer import KafkaDeliveryError
    from backbeat.stack.errors import StackError

    options = DemoOptions(users, history_hours, live_seconds, seed)

    def say(line: str) -> None:
        err_console.print(f"· {line}", style="dim", highlight=False)

    with Live(Text(""), console=err_console, refresh_per_second=4, transient=True) as live:

        def progress(stats: RunStats) -> None:
            clock = time.strftime("%H:%M:%S", time.gmtime(stats.latest_ms / 1000))
            live.update(Text(f"  sent {stats.records:,} records, simulated up to {clock} UTC"))

        try:
            with (
                sigterm_as_interrupt(),
                demo_running(get_settings(), options, say, progress) as summary,
            ):
                live.stop()
                if as_json:
                    print_json(summary.as_json())
                else:
                    print_summary(summary, console)
                if keep_running:
                    err_console.print("running; Ctrl-C stops the demo's processes")
                    try:
                        while True:
                            time.sleep(1)
                    except KeyboardInterrupt:
                        err_console.print("stopping")
                elif not as_json:
                    err_console.print(
                        "[dim]The demo's processes stop now; `backbeat demo --keep-running` "
                        "leaves them up. The stack stays up: `backbeat down` stops it.[/]"
                    )
        except KeyboardInterrupt:
            exit_with_error("interrupted: the demo's processes were stopped", code=130)
        except (StackError, DemoProcessError, KafkaDeliveryError, TimeoutError) as exc:
            exit_with_error(str(exc))
    if summary.quality.get("failed"):
        raise typer.Exit(1)
