from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli() -> Run:
    """Run `backbeat ARGS...` as a person would, in a subprocess with its own environment."""

    def run(
        *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "backbeat", *args],
            env={**os.environ, "COLUMNS": "200", **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run
