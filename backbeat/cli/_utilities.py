"""What every command uses: consoles, JSON output, and turning expected failures into one line."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console

from backbeat.settings.kafka import KafkaSettings
from backbeat.stack.errors import StackError

console = Console()
err_console = Console(stderr=True)

#: Failures a person can fix; anything else is a bug and keeps its traceback.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (StackError,)


def exit_with_error(message: str, code: int = 1) -> NoReturn:
    """Print one red line to stderr and exit with `code`."""
    err_console.print(
        f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True
    )
    raise typer.Exit(code)


def require_kafka(kafka: KafkaSettings) -> None:
    """Stop with one clear line when no broker answers, before any work starts."""
    from backbeat.kafka.admin import broker_count

    if broker_count(kafka) == 0:
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


def print_json(data: Any) -> None:
    """Machine-readable output for scripts: JSON on stdout, nothing else there."""
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")


def progress_printer() -> Any:
    """A progress callback that prints each step as a dim line on stderr."""

    def progress(message: str) -> None:
        err_console.print(f"[dim]· {message}[/]", highlight=False)

    return progress
