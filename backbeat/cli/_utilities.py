"""What every command uses: consoles, JSON output, and turning expected failures into one line."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console

from backbeat.settings.kafka import KafkaSettings
from backbeat.stack.errors import StackError

console = Console()
err_console = Console(stderr=True)

#: How long a broker that accepts connections may take to answer a metadata request.
_KAFKA_PATIENCE_S = 30.0
#: Failures a person can fix; anything else is a bug and keeps its traceback.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (StackError,)


def exit_with_error(message: str, code: int = 1) -> NoReturn:
    """Print one red line to stderr and exit with `code`."""
    err_console.print(
        f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True
    )
    raise typer.Exit(code)


def require_kafka(kafka: KafkaSettings) -> None:
    """Stop with one clear line when no broker answers, before any work starts. A cluster
    that refuses connections is reported at once; one that accepts them is given time to
    answer (a busy machine can take seconds)."""
    from backbeat.kafka.admin import accepts_connections, broker_count

    if not accepts_connections(kafka) or broker_count(kafka, timeout_s=_KAFKA_PATIENCE_S) == 0:
        exit_with_error(
            f"Kafka at {kafka.bootstrap_servers} is not reachable; start it with `backbeat up` "
            "or set BACKBEAT_KAFKA_BOOTSTRAP_SERVERS"
        )


@contextmanager
def expected_errors() -> Iterator[None]:
    """Turn the library's expected failures into `exit_with_error`."""
    try:
        yield
    except EXPECTED_ERRORS as exc:
        exit_with_error(str(exc))


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a supervisor's stop) ends the block as Ctrl-C does, so the command's own
    clean-up runs: producers flush, what was read is reported."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C or SIGTERM sets `stop`, so a run ends between two records and reports exactly
    what it wrote; a second one interrupts at once."""

    def first(signum: int, frame: FrameType | None) -> None:
        stop.set()
        signal.signal(signal.SIGTERM, second)
        signal.signal(signal.SIGINT, second)

    def second(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, first), signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


def print_json(data: Any) -> None:
    """Machine-readable output for scripts: JSON on stdout, nothing else there."""
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")


def progress_printer() -> Any:
    """A progress callback that prints each step as a dim line on stderr."""

    def progress(message: str) -> None:
        err_console.print(f"[dim]· {message}[/]", highlight=False)

    return progress


#: `-i`: which of several processes of one dataflow this is (Bytewax's cluster mode).
ProcessId = Annotated[
    int | None,
    typer.Option(
        "--process-id",
        "-i",
        min=0,
        help="This process's index when the dataflow runs as several processes (with -a).",
    ),
]
#: `-a`: every process of the dataflow, in process order.
Addresses = Annotated[
    str | None,
    typer.Option(
        "--addresses",
        "-a",
        help='host:port of every process, in process order: "h1:2101;h2:2101".',
    ),
]


def dataflow_failed(what: str, code: int, cluster: dict[str, str]) -> NoReturn:
    """Exit after a dataflow process failed, saying what a cluster of processes does then."""
    message = f"the {what} exited with code {code}"
    if cluster:
        message += (
            "; its processes (-a) run as one dataflow, so when one stops the others stop "
            "too: start them all again, they resume from the last snapshot"
        )
    exit_with_error(message, code=code if code > 0 else 1)


def cluster_environment(process_id: int | None, addresses: str | None) -> dict[str, str]:
    """Bytewax's variables for one process of several (none for a single process); exits
    with the reason when -i and -a do not fit together."""
    if (process_id is None) != (addresses is None):
        exit_with_error("--process-id and --addresses go together")
    if process_id is None or addresses is None:
        return {}
    if process_id >= len(addresses.split(";")):
        exit_with_error(f"--process-id {process_id} has no address in --addresses")
    return {"BYTEWAX_PROCESS_ID": str(process_id), "BYTEWAX_ADDRESSES": addresses}
