"""The warehouse following the stream: `build-warehouse` flow runs back to back.

Why a loop in one long-running process that calls the flow, rather than a deployment with a
15-second schedule or `flow.serve()`: a worker starts each deployed run as a new process
(`python -m prefect.engine`, importing Backbeat again: seconds on this machine), and a served
flow's runner runs each in a subprocess too, so every build would pay for a process before
reading a row, plus the schedule's polling delay; here every call of the
flow function is still a flow run of its own, with its tasks and artifacts in the Prefect UI,
at the cost of the API calls alone (`bench/build_overhead.py`: a build with nothing new took
0.90 s in-process and 2.09 s as a flow run, p50 of 5 alternating pairs on one core of this
2-core machine: 1.2 s of Prefect per build, 8% of a 15 s cadence). Builds never overlap: the
loop waits for each, and every build holds the `backbeat-warehouse-build` concurrency slot
(a deployed build waits for it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("backbeat.build")


@dataclass
class ContinuousReport:
    builds: int = 0
    failed: int = 0
    vault_rows: int = 0
    marts_rows: int = 0


def build_continuously(
    every_s: float,
    stop: threading.Event,
    build: Callable[[], dict[str, Any]] | None = None,
    on_build: Callable[[dict[str, Any], float], None] | None = None,
    on_failure: Callable[[BaseException], None] | None = None,
) -> ContinuousReport:
    """Run `build` (the `build-warehouse` flow) every `every_s` from one start to the next,
    until `stop` is set. A failed build is reported and the next one runs on time: a build
    re-reads from the last finished build's watermark, so nothing is skipped."""
    if build is None:
        from flows.build_warehouse import build_warehouse

        build = build_warehouse
    report = ContinuousReport()
    while not stop.is_set():
        began = time.monotonic()
        try:
            result = build()
        except Exception as exc:  # the next build retries from the same watermark
            report.failed += 1
            (on_failure or _log_failure)(exc)
        else:
            report.builds += 1
            report.vault_rows += int(result.get("vault_rows", 0))
            report.marts_rows += int(result.get("marts_rows", 0))
            if on_build is not None:
                on_build(result, time.monotonic() - began)
        stop.wait(max(0.0, every_s - (time.monotonic() - began)))
    return report


def _log_failure(exc: BaseException) -> None:
    log.warning("a warehouse build failed (the next one starts on time): %s", exc)
