"""The long-running parts of a demo as child processes: loader, sessions, API, dashboard.

Each runs the same `backbeat` command a person would, with the demo's settings in its
environment and its output in a log file under the stack's state directory; all are stopped
with SIGTERM (the dataflows flush and snapshot on it) when the demo ends or is interrupted
(Ctrl-C or SIGTERM), and none outlives the demo (backbeat.children).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from backbeat import waiting
from backbeat.children import dies_with_parent


class DemoProcessError(RuntimeError):
    """A part of the demo exited or never answered; the message says which and where its log is."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def check(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-1500:]
            raise DemoProcessError(
                f"{self.name} exited with {self.process.returncode}; see {self.log}:\n{tail}"
            )


@contextmanager
def children(
    commands: Mapping[str, list[str]], environment: Mapping[str, str], log_dir: Path
) -> Iterator[dict[str, Child]]:
    """Start `backbeat <args>` for each name; stop them all on exit, the last started first."""
    log_dir.mkdir(parents=True, exist_ok=True)
    started: dict[str, Child] = {}
    env = {**os.environ, **environment}
    try:
        for name, args in commands.items():
            log = log_dir / f"demo-{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "backbeat", *args],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C reaches the demo, which stops them in order
                    preexec_fn=dies_with_parent(),  # and a kill -9 of the demo reaches them too
                )
            started[name] = Child(name, process, log)
        yield started
    finally:
        for child in reversed(list(started.values())):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        for child in started.values():
            try:
                child.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


def wait_until_answers(child: Child, url: str, timeout_s: float = 300) -> None:
    """Until the child's server answers at `url`; its log's tail if it exits first."""
    try:
        waiting.wait_until_answers(url, child.name, timeout_s, alive=child.check)
    except waiting.WaitTimeout as exc:
        raise DemoProcessError(str(exc)) from None
