from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read settings as on a fresh machine: no BACKBEAT_* or PREFECT_API_URL, no `.env`."""
    for name in list(os.environ):
        if name.startswith("BACKBEAT_") or name == "PREFECT_API_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
