"""The dataflows as the tests run them: real processes with the settings of a private stack."""

from __future__ import annotations

import os
import subprocess
import sys

from backbeat.settings import Settings
from backbeat.stack.private import settings_environment
from dataflows.launch import init_recovery, sessions_command


def start_sessions(
    settings: Settings, exit_when_idle: float | None = None
) -> subprocess.Popen[str]:
    """The sessions dataflow in the background (stdout and stderr piped)."""
    init_recovery(settings.sessions.recovery_dir)
    env = {**os.environ, **settings_environment(settings)}
    return subprocess.Popen(
        sessions_command(settings.sessions, exit_when_idle),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def load_until_idle(settings: Settings, idle_s: float = 2) -> None:
    """`backbeat load` until Kafka has been quiet for `idle_s`; asserts it exits cleanly."""
    loaded = subprocess.run(
        [sys.executable, "-m", "backbeat", "load", "--exit-when-idle", str(idle_s)],
        env={**os.environ, **settings_environment(settings)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]


def wait_until_healthy(process: subprocess.Popen[str], url: str, timeout_s: float = 60) -> None:
    """Until `url` answers 200; fails with the process's stderr if it exits first."""
    import time

    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        assert process.poll() is None, process.communicate()[1][-3000:]
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer in {timeout_s:.0f} s"
        time.sleep(0.2)
