"""Seconds from `backbeat up` to a service answering its readiness check, cold and warm.

Cold: a fresh state directory (Kafka formats its storage, Prefect creates its SQLite
database). Warm: the same state directory again. Kafka's jars are assumed cached
(`make setup`). Each service is measured alone, so one does not slow another.

    uv run python bench/stack_startup.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _results import write_results

from backbeat import stack
from backbeat.settings import Settings, get_settings
from backbeat.stack.private import private_stack_settings


def _time_up(settings: Settings, service: str) -> float:
    began = time.perf_counter()
    stack.up(settings, [service])
    elapsed = time.perf_counter() - began
    stack.down(settings, [service])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="cold/warm pairs per service")
    args = parser.parse_args()

    figures: dict[str, dict[str, float]] = {}
    for service in stack.SERVICE_NAMES:
        cold, warm = [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                settings = private_stack_settings(get_settings(), Path(tmp))
                cold.append(_time_up(settings, service))
                warm.append(_time_up(settings, service))
        figures[service] = {
            "cold_median_s": round(statistics.median(cold), 2),
            "warm_median_s": round(statistics.median(warm), 2),
            "cold_max_s": round(max(cold), 2),
            "warm_max_s": round(max(warm), 2),
        }
        print(
            f"{service:8} cold {figures[service]['cold_median_s']:6.2f}s  "
            f"warm {figures[service]['warm_median_s']:6.2f}s  (median of {args.repeat})"
        )
    write_results("stack_startup", figures)


if __name__ == "__main__":
    main()
