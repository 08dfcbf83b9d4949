"""What the peer benchmarks run that Backbeat's install never holds: each peer's Python
environment (made with uv under `.backbeat/peers/<name>/` on first use) and the load
generators (wrk from Debian, vegeta from the Go module proxy, into `.backbeat/peers/bin/`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

PEERS = Path(__file__).resolve().parents[2] / ".backbeat" / "peers"
VEGETA = "github.com/tsenart/vegeta/v12@v12.13.0"


def peer_python(name: str, *requirements: str) -> Path:
    """The interpreter of the peer's own environment, made with uv the first time."""
    python = PEERS / name / "bin" / "python"
    if not python.exists():
        print(f"making the {name} environment in {python.parents[1]} ({', '.join(requirements)})")
        subprocess.run(["uv", "venv", "-q", "-p", "3.11", str(python.parents[1])], check=True)
        subprocess.run(
            ["uv", "pip", "install", "-q", "--python", str(python), *requirements], check=True
        )
    return python


def wrk() -> str:
    """wrk (C, closed loop: a fixed number of connections, each sending as soon as answered)."""
    found = shutil.which("wrk")
    if found is None:
        print("installing wrk from Debian's packages ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed and apt-get could not install it")
    return found


def vegeta() -> str:
    """vegeta (Go, open loop: requests sent on schedule at a fixed rate, answered or not)."""
    binary = PEERS / "bin" / "vegeta"
    if not binary.exists():
        print(f"building {VEGETA} into {binary.parent} ...", flush=True)
        env = {**os.environ, "GOBIN": str(binary.parent)}
        subprocess.run(["go", "install", VEGETA], check=True, env=env)
    return str(binary)
