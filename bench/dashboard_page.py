"""The dashboard's `GET /` on the demo's warehouse: the first request, the steady state, and
the first request after a new build.

The warehouse is the demo's size (2,000 users, a day of events, built once). `backbeat
dashboard` runs as a real server; requests come from httpx on loopback, one at a time. Then
one more simulated hour is loaded and built, and the page is asked for again at once, while
it settles, and until it shows the new build. The floor in the same run: `GET /healthz` of
the same server (the HTTP round trip with no work behind it).

    uv run python bench/dashboard_page.py [--users 2000] [--hours 24] [--requests 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _results import write_results

from backbeat.emit.sinks import DirectRawSink
from backbeat.events import encode
from backbeat.settings import get_settings, with_overrides
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.stack.private import free_port
from backbeat.warehouse import open_build
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter

HOUR_MS = 3_600_000
#: Loopback requests never need this long: it only bounds a broken run.
REQUEST_TIMEOUT_S = 120


def _simulate(root: Path, users: int, start_ms: int, end_ms: int, seed: int) -> int:
    params = SimulationParams(start_ms=start_ms, end_ms=end_ms, n_users=users, seed=seed)
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=5_000, catalogue_seed=3))
    sink = DirectRawSink(RawParquetWriter(root), batch_rows=20_000, live_lag_ms=2_000)
    records = 0
    for event in simulator.events():
        sink.write(event.topic, event.key, encode(event.record))
        records += 1
    sink.close()
    return records


def _timed_get(client: httpx.Client, path: str) -> float:
    began = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - began
    response.raise_for_status()
    return elapsed


def _stats(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "max_ms": round(ms[-1], 1),
        "mean_ms": round(statistics.fmean(ms), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bb-dashboard-"))
    settings = with_overrides(get_settings(), warehouse={"dir": root, "backend": "duckdb"})
    start_ms = (int(time.time() * 1000) // HOUR_MS) * HOUR_MS - int(args.hours * HOUR_MS)
    end_ms = start_ms + int(args.hours * HOUR_MS)
    records = _simulate(root, args.users, start_ms, end_ms, seed=1)
    build = open_build(settings)
    build.run()
    print(f"warehouse: {records:,} records, built once, in {root}")

    port = free_port()
    env = {**os.environ, "BACKBEAT_WAREHOUSE_DIR": str(root), "BACKBEAT_DASHBOARD_PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, "-m", "backbeat", "dashboard"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
            deadline = time.monotonic() + REQUEST_TIMEOUT_S
            while True:
                try:
                    client.get("/healthz").raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            first_s = _timed_get(client, "/")
            steady = [_timed_get(client, "/") for _ in range(args.requests)]
            floor = [_timed_get(client, "/healthz") for _ in range(args.requests)]

            more = _simulate(root, args.users, end_ms, end_ms + HOUR_MS, seed=2)
            began = time.perf_counter()
            report = build.run()
            build_s = time.perf_counter() - began
            after_build_first_s = _timed_get(client, "/")
            after_build = [_timed_get(client, "/") for _ in range(args.requests)]
            # How long until the page shows the new build (drawn in the background, every
            # BACKBEAT_DASHBOARD_REFRESH_SECONDS); None for a dashboard that does not say.
            until = f"built up to {report.window.until:%Y-%m-%d %H:%M:%S} UTC"
            on_page_s: float | None = None
            while time.perf_counter() - began < REQUEST_TIMEOUT_S:
                if until in client.get("/").text:
                    on_page_s = time.perf_counter() - began - build_s
                    break
                if "built up to" not in client.get("/").text:
                    break
                time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(root)

    figures = {
        "records": records,
        "records_after_build": records + more,
        "first_get_ms": round(first_s * 1000, 1),
        "steady_get": _stats(steady),
        "healthz_floor": _stats(floor),
        "incremental_build_s": round(build_s, 2),
        "first_get_after_build_ms": round(after_build_first_s * 1000, 1),
        "after_build_get": _stats(after_build),
        "new_build_on_page_s": None if on_page_s is None else round(on_page_s, 2),
        "steady_p50_over_floor": round(statistics.median(steady) / statistics.median(floor), 1),
    }
    write_results("dashboard_page", figures)


if __name__ == "__main__":
    main()
