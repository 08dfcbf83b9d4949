"""How every benchmark reports: a table on stdout and a JSON file in bench/results/."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

import orjson

RESULTS_DIR = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def write_results(name: str, figures: dict[str, Any]) -> Path:
    """Save `figures` (plus the machine) as bench/results/<name>-<utc time>.json."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    payload = {"benchmark": name, "at": stamp, "machine": machine(), "figures": figures}
    path.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))
    print(f"results: {path}")
    print(json.dumps(figures, indent=2))
    return path
