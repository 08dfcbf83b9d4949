from __future__ import annotations

import os
import sys
from pathlib import Path

from backbeat.stack.process import ManagedProcess, rotate_log
from tests.waits import eventually


def test_start_find_and_stop_a_process(tmp_path: Path) -> None:
    process = ManagedProcess("sleeper", tmp_path / "run", marker="backbeat-test-sleeper")
    pid = process.start(
        [sys.executable, "-c", "import time; time.sleep(60)", "backbeat-test-sleeper"],
        dict(os.environ),
        cwd=tmp_path,
    )
    assert process.pid() == pid
    assert process.pid_file.read_text().strip() == str(pid)
    assert process.stop(timeout_s=5) is True
    assert process.pid() is None
    assert not process.pid_file.exists()
    assert process.stop() is False  # idempotent


def test_process_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    process = ManagedProcess("stubborn", tmp_path / "run", marker="backbeat-test-stubborn")
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    process.start(
        [sys.executable, "-c", code, "backbeat-test-stubborn"], dict(os.environ), cwd=tmp_path
    )
    eventually(lambda: "ready" in process.log_file.read_text(), "the process starting")
    assert process.stop(timeout_s=0.5) is True
    assert process.pid() is None


def test_stale_pid_file_of_an_unrelated_process_is_ignored(tmp_path: Path) -> None:
    process = ManagedProcess("kafka", tmp_path / "run", marker="kafka.Kafka")
    process.pid_file.parent.mkdir(parents=True)
    process.pid_file.write_text(f"{os.getpid()}\n")  # alive, but it is pytest, not Kafka
    assert process.pid() is None
    assert not process.pid_file.exists()


def test_exited_process_is_noticed_and_its_log_kept(tmp_path: Path) -> None:
    process = ManagedProcess("crasher", tmp_path / "run", marker="backbeat-test-crasher")
    process.start(
        [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)", "backbeat-test-crasher"],
        dict(os.environ),
        cwd=tmp_path,
    )
    eventually(process.exited, "the process exiting")
    assert process.tail(1) == ["boom"]


def test_a_big_log_is_set_aside_when_its_service_starts(tmp_path: Path) -> None:
    """A service's log is appended to across starts; one past the limit is moved to `.1` (the
    one before dropped), so a stack restarted for weeks keeps at most two logs of it."""
    log = tmp_path / "kafka.log"
    log.write_bytes(b"x" * 100)
    assert rotate_log(log, limit=1_000) is False and log.read_bytes() == b"x" * 100
    assert rotate_log(log, limit=100) is True
    assert not log.exists() and (tmp_path / "kafka.log.1").read_bytes() == b"x" * 100
    log.write_bytes(b"y" * 200)
    assert rotate_log(log, limit=100) is True
    assert (tmp_path / "kafka.log.1").read_bytes() == b"y" * 200  # the older one dropped
    assert rotate_log(tmp_path / "never-written.log") is False
