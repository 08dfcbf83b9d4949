"""`backbeat generate` and `backbeat replay`: events into Kafka, files or stdout."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table
from rich.text import Text

from backbeat.cli._utilities import (
    err_console,
    exit_with_error,
    expected_errors,
    require_kafka,
    stop_on_signals,
)
from backbeat.emit.offer_responder import ApiOfferResponder, OfferApiError
from backbeat.emit.pacing import Pacer
from backbeat.emit.runs import RunStats, run_replay, run_simulation
from backbeat.emit.sinks import DirectorySink, EventSink, StdoutSink
from backbeat.kafka.producer import KafkaDeliveryError, KafkaProducer
from backbeat.settings import get_settings
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.config import ConfigError, load_config
from backbeat.simulator.default_model import CONFIG_PATH
from backbeat.simulator.params import epoch_ms, resolve_params

app = typer.Typer()

Output = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        help="`kafka` (default; keyed by user), a directory (eventsim's file mode: one file per "
        "topic), or `-` for stdout.",
    ),
]
Speed = Annotated[
    float | None,
    typer.Option(
        "--speed",
        min=0.0001,
        help="Simulated seconds per wall-clock second (default: as fast as possible).",
    ),
]


def _sink(output: str) -> EventSink:
    if output == "-":
        return StdoutSink()
    if output == "kafka":
        kafka = get_settings().kafka
        require_kafka(kafka)
        return KafkaProducer(kafka)
    return DirectorySink(Path(output))


def _responder() -> ApiOfferResponder:
    try:
        responder = ApiOfferResponder(get_settings())
    except OfferApiError as exc:
        exit_with_error(str(exc))
    try:
        responder.check()
    except OfferApiError as exc:
        responder.close()
        exit_with_error(str(exc))
    return responder


def _moment(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ms else "-"


def _progress_line(stats: RunStats) -> Text:
    line = Text.assemble(
        ("simulated ", "dim"),
        _moment(stats.latest_ms),
        ("  ·  events ", "dim"),
        f"{stats.page_views:,}",
        ("  ·  records ", "dim"),
        f"{stats.records:,}",
        ("  ·  ", "dim"),
        f"{stats.rate():,.0f} events/s",
    )
    if stats.rejected:
        line.append(f"  ·  rejected {stats.rejected:,}", "red")
    return line


@contextmanager
def _live_progress() -> Iterator[Live]:
    # Transient: the summary table that follows repeats the final figures.
    with Live(Text(""), console=err_console, refresh_per_second=4, transient=True) as live:
        yield live


def _summary(stats: RunStats, output: str, lines: bool = False) -> None:
    table = Table("topic", "records", title=f"written to {output}", title_justify="left")
    for topic, count in sorted(stats.counts.items()):
        table.add_row(topic, f"{count:,}")
    err_console.print(table)
    if lines:  # a replay: what it read, whatever topics the files held
        rate = stats.lines / max(stats.elapsed_s, 1e-9)
        err_console.print(
            f"{stats.lines:,} lines read, {stats.records:,} records written in "
            f"{stats.elapsed_s:.1f}s ({rate:,.0f} lines/s)",
            highlight=False,
        )
        return
    err_console.print(
        f"{stats.page_views:,} events in {stats.elapsed_s:.1f}s ({stats.rate():,.0f} events/s)",
        highlight=False,
    )


_ERRORS = (ConfigError, ValueError, FileNotFoundError, KafkaDeliveryError)


@app.command()
def generate(
    config: Annotated[
        Path,
        typer.Option(
            "--config", "-c", help="eventsim config JSON (default: Backbeat's own model)."
        ),
    ] = CONFIG_PATH,
    nusers: Annotated[
        int | None,
        typer.Option("--nusers", "-n", min=1, help="Initial users (default: config, else 100)."),
    ] = None,
    growth_rate: Annotated[
        float | None,
        typer.Option(
            "--growth-rate", "-g", min=0, help="Annual growth of the user base (0.1 = 10%)."
        ),
    ] = None,
    start_time: Annotated[
        str | None, typer.Option("--start-time", "-s", help="ISO date-time (UTC) or `now`.")
    ] = None,
    end_time: Annotated[
        str | None, typer.Option("--end-time", "-e", help="ISO date-time (UTC) or `now`.")
    ] = None,
    from_days: Annotated[
        float, typer.Option("--from", help="Without --start-time: start this many days ago.")
    ] = 7,
    to_days: Annotated[
        float, typer.Option("--to", help="Without --end-time: end this many days ago.")
    ] = 0,
    randomseed: Annotated[
        int | None, typer.Option("--randomseed", "-r", help="Seed (default: the config's).")
    ] = None,
    userid: Annotated[
        int | None,
        typer.Option("--userid", "-u", help="Base user id; the first user gets this + 1."),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", help="A/B group written as `tag` on events that show the user."),
    ] = None,
    continuous: Annotated[
        bool,
        typer.Option(
            "--continuous", help="Run in real time (or at --speed) with no end unless --end-time."
        ),
    ] = False,
    speed: Speed = None,
    songs: Annotated[
        Path | None,
        typer.Option("--songs", help="eventsim's listen_counts.txt.gz or streamify's songs.csv."),
    ] = None,
    catalogue_size: Annotated[
        int, typer.Option("--catalogue-size", min=1, help="Songs in the generated catalogue.")
    ] = 20_000,
    taste: Annotated[
        bool,
        typer.Option(
            "--taste",
            help="Users with favourite genres whose sessions drift along similar songs "
            "(default: eventsim's choice by popularity alone).",
        ),
    ] = False,
    output: Output = "kafka",
    respond_to_offers: Annotated[
        bool,
        typer.Option(
            "--respond-to-offers",
            help="Users ask the offer API (`backbeat api`) what they are shown and answer "
            "it with the chances in BACKBEAT_RESPONSES_ACCEPT (paced runs into Kafka only).",
        ),
    ] = False,
) -> None:
    """Simulate a music-streaming service and write eventsim-compatible events."""
    now = datetime.now(UTC)
    with expected_errors():
        if respond_to_offers and (output != "kafka" or (speed is None and not continuous)):
            exit_with_error(
                "--respond-to-offers needs a paced run into Kafka (--speed or --continuous, "
                "-o kafka): offers exist only once the sessions dataflow has seen the events"
            )
        responder = _responder() if respond_to_offers else None
        try:
            model_config = load_config(config)
            params = resolve_params(
                model_config,
                now=now,
                start_time=start_time,
                end_time=end_time,
                from_days=from_days,
                to_days=to_days,
                continuous=continuous,
                n_users=nusers,
                growth_rate=growth_rate,
                first_user_id=userid,
                seed=randomseed,
                tag=tag,
            )
            simulator = build_simulator(
                SimulatorOptions(
                    params,
                    model_config,
                    songs=songs,
                    catalogue_size=catalogue_size,
                    taste=taste,
                    responder=responder,
                    retention_s=int(get_settings().responses.retention_days * 86400),
                )
            )
        except _ERRORS as exc:
            exit_with_error(str(exc))
        if continuous and speed is None:
            speed = 1.0
        anchor = max(params.start_ms, epoch_ms(now)) if continuous else params.start_ms
        sink = _sink(output)
        stop = threading.Event()
        with _live_progress() as live, stop_on_signals(stop):
            try:
                stats = run_simulation(
                    simulator,
                    sink,
                    Pacer(speed, anchor, sleep=stop.wait),
                    lambda s: live.update(_progress_line(s)),
                    stop,
                )
            except KeyboardInterrupt:  # a second Ctrl-C: the sink was flushed on the way out
                err_console.print("[yellow]interrupted again: stopped at once[/]")
                return
            except (KafkaDeliveryError, OfferApiError) as exc:
                exit_with_error(str(exc))
            finally:
                if responder is not None:
                    responder.close()
    if stats.stopped:
        err_console.print(
            f"[yellow]interrupted: flushed the {stats.records:,} records generated[/]"
        )
    _summary(stats, output)
    if responder is not None:
        answered = ", ".join(f"{n:,} {what}" for what, n in sorted(responder.counts.items()))
        err_console.print(f"offer API: {answered or 'no offers shown'}", highlight=False)


@app.command()
def replay(
    paths: Annotated[
        list[Path],
        typer.Argument(help="eventsim output: files or directories, either format, .gz too."),
    ],
    retime: Annotated[
        bool, typer.Option("--retime", help="Shift all times so the first event is now.")
    ] = False,
    speed: Speed = None,
    output: Output = "kafka",
) -> None:
    """Send real eventsim output to Kafka (or files); unparseable lines go to dead_letter."""
    with expected_errors():
        sink = _sink(output)
        retime_to = epoch_ms(datetime.now(UTC)) if retime else None
        stop = threading.Event()
        with _live_progress() as live, stop_on_signals(stop):
            try:
                stats = run_replay(
                    paths, sink, retime_to, speed, lambda s: live.update(_progress_line(s)), stop
                )
            except _ERRORS as exc:
                exit_with_error(str(exc))
            except KeyboardInterrupt:
                err_console.print("[yellow]interrupted again: stopped at once[/]")
                return
    if stats.stopped:
        written = f"{stats.records:,} records replayed"
        err_console.print(f"[yellow]interrupted: flushed the {written}[/]")
    _summary(stats, output, lines=True)
    if stats.rejected:
        err_console.print(f"[yellow]{stats.rejected:,} lines were rejected (see dead_letter)[/]")
