"""A long-running child process tracked by a pid file, so a later command can find it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

#: A service's log is set aside (as `<name>.log.1`, the one before dropped) when it starts
#: with a log this big: each start begins a new file, and at most two are kept.
LOG_ROTATE_BYTES = 64 * 1024 * 1024


def rotate_log(log_file: Path, limit: int = LOG_ROTATE_BYTES) -> bool:
    """Set `log_file` aside as `<name>.1` when it holds `limit` bytes or more; whether it did."""
    try:
        if log_file.stat().st_size < limit:
            return False
    except FileNotFoundError:
        return False
    os.replace(log_file, log_file.with_name(log_file.name + ".1"))
    return True


class ManagedProcess:
    """A server started in its own session (process group), logging to one file.

    `marker` is a string its command line contains; it guards against a stale pid file
    whose pid the OS has since given to an unrelated process.
    """

    def __init__(self, name: str, run_dir: Path, marker: str) -> None:
        self.name = name
        self.pid_file = run_dir / f"{name}.pid"
        self.log_file = run_dir / f"{name}.log"
        self.marker = marker

    def pid(self) -> int | None:
        """The pid of the running process, or None (removing a stale pid file)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if _is_alive(pid) and self.marker in _cmdline(pid, default=self.marker):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> int:
        """Start the process detached from this one; returns its pid."""
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        rotate_log(self.log_file)
        with self.log_file.open("ab") as log:
            log.write(
                f"--- {time.strftime('%Y-%m-%dT%H:%M:%S%z')} starting: {' '.join(argv)}\n".encode()
            )
            log.flush()
            process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid}\n")
        return process.pid

    def exited(self) -> bool:
        """True once a started process is gone (reaping it if it was our child)."""
        pid = self.pid()
        if pid is None:
            return True
        if self._gone(pid):
            self.pid_file.unlink(missing_ok=True)
            return True
        return False

    def stop(self, timeout_s: float = 30.0) -> bool:
        """SIGTERM the process group, SIGKILL it after `timeout_s`; False if nothing ran."""
        pid = self.pid()
        if pid is None:
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self._gone(pid):
            time.sleep(0.1)
        if not self._gone(pid):
            _signal_group(pid, signal.SIGKILL)
            while not self._gone(pid):
                time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return True

    def tail(self, lines: int) -> list[str]:
        """The last `lines` lines of the log (empty if there is no log yet)."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return []
        return text.splitlines()[-lines:]

    @staticmethod
    def _gone(pid: int) -> bool:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return True
        except ChildProcessError:
            pass
        return not _is_alive(pid)


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = _proc_state(pid)
    return state != "Z"


def _proc_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _cmdline(pid: int, default: str) -> str:
    """The process's command line; `default` where /proc is not available (macOS) or while
    it reads empty: redis-server rewrites its title at start, and a read in that instant
    would mistake a starting server for a stranger and forget its pid."""
    try:
        text = (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
        return text if text.strip() else default
    except FileNotFoundError:
        return default if not Path("/proc/self").exists() else ""
    except OSError:
        return default


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
