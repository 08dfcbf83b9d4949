from __future__ import annotations

import os
import sys
from pathlib import Path

from backbeat.stack.process import ManagedProcess
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
