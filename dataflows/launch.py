"""How the dataflows are started: recovery stores and `python -m bytewax.run` commands.

Kept apart from the dataflows so the CLI can use it without importing Bytewax.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import IO, NoReturn

from backbeat.children import dies_with_parent
from backbeat.settings.loader import LoaderSettings
from backbeat.settings.sessions import SessionsSettings

#: A dataflow's exit code when it refuses to start, having said why on stderr.
EXIT_REFUSED = 3
#: Recovery partitions are fixed when the store is created; more than one process can use them.
RECOVERY_PARTITIONS = 4


class RecoveryInUse(RuntimeError):
    """Another process runs on the same recovery folder; the message names it."""


_held_locks: list[IO[str]] = []


def hold_recovery_lock(directory: Path, what: str) -> None:
    """Take this process's lock on a recovery folder for its lifetime, or raise.

    Two processes on one folder would each resume from the same snapshots and write the
    same records (or fight over its SQLite files). Processes of one multi-process dataflow
    (-i/-a) share the folder, each with its own lock (by process id).
    """
    process_id = os.environ.get("BYTEWAX_PROCESS_ID") or "0"
    directory.parent.mkdir(parents=True, exist_ok=True)
    path = directory.parent / f".{directory.name}.process-{process_id}.lock"
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise RecoveryInUse(
            f"another {what} process (pid {holder}) is running on the recovery folder "
            f"{directory}; stop it first, or give this one a folder of its own"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    _held_locks.append(handle)


def refuse(message: str) -> NoReturn:
    """End a dataflow process that must not start, with one readable line on stderr.

    Raised inside Bytewax, an error ends in a Rust panic and two tracebacks; the launching
    command knows EXIT_REFUSED means the reason is already printed.
    """
    sys.stderr.write(f"{message}\n")
    sys.stderr.flush()
    os._exit(EXIT_REFUSED)


def init_recovery(directory: Path, partitions: int = RECOVERY_PARTITIONS) -> None:
    """Create Bytewax's recovery partitions unless they exist (Bytewax needs them first).

    Loader processes started together on one machine may all get here: a lock beside the
    directory lets one create the partitions and the others find them.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    with (directory.parent / f".{directory.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if directory.exists() and any(directory.iterdir()):
            return
        directory.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "bytewax.recovery", str(directory), str(partitions)],
            check=True,
        )


def _dataflow_command(
    flow: str, workers: int, recovery_dir: Path, snapshot_seconds: int
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bytewax.run",
        flow,
        "-w",
        str(workers),
        "-r",
        str(recovery_dir),
        "-s",
        str(snapshot_seconds),
        "-b",  # recovery partitions are not backed up elsewhere: keep no extra snapshots
        "0",
    ]


def loader_command(
    loader: LoaderSettings, exit_when_idle_s: float | None = None, workers: int | None = None
) -> list[str]:
    """The argv that runs the loader dataflow with recovery."""
    return _dataflow_command(
        f"dataflows.loader:build_flow({exit_when_idle_s!r})",
        workers or loader.workers,
        loader.recovery_dir,
        loader.snapshot_seconds,
    )


def sessions_command(
    sessions: SessionsSettings, exit_when_idle_s: float | None = None, workers: int | None = None
) -> list[str]:
    """The argv that runs the sessions dataflow with recovery."""
    return _dataflow_command(
        f"dataflows.sessions:build_flow({exit_when_idle_s!r})",
        workers or sessions.workers,
        sessions.recovery_dir,
        sessions.snapshot_seconds,
    )


def run_dataflow(argv: list[str], environment: dict[str, str]) -> int:
    """Run a dataflow process to its end, passing SIGTERM on (Ctrl-C reaches it directly)
    so it can stop cleanly; its exit code. The process dies with this one (backbeat.children),
    so a `kill -9` here leaves no orphan consuming Kafka and holding the metrics port."""
    process = subprocess.Popen(argv, env=environment, preexec_fn=dies_with_parent())

    def forward(signum: int, frame: FrameType | None) -> None:
        process.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    try:
        return process.wait()
    except KeyboardInterrupt:  # the child got the same SIGINT and is stopping
        return process.wait()
