"""How the loader is started: its recovery store and its `python -m bytewax.run` command.

Kept apart from `loader.py` so the CLI can use it without importing Bytewax.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

from backbeat.settings.loader import LoaderSettings

#: Recovery partitions are fixed when the store is created; more than one process can use them.
RECOVERY_PARTITIONS = 4


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


def loader_command(
    loader: LoaderSettings, exit_when_idle_s: float | None = None, workers: int | None = None
) -> list[str]:
    """The argv that runs the loader dataflow with recovery."""
    return [
        sys.executable,
        "-m",
        "bytewax.run",
        f"dataflows.loader:build_flow({exit_when_idle_s!r})",
        "-w",
        str(workers or loader.workers),
        "-r",
        str(loader.recovery_dir),
        "-s",
        str(loader.snapshot_seconds),
        "-b",  # recovery partitions are not backed up elsewhere: keep no extra snapshots
        "0",
    ]
