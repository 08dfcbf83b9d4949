"""What a warehouse build costs when nothing new arrived, in-process and as a flow run: the
fixed price `backbeat build --continuous` pays every cadence, and Prefect's share of it.

A DuckDB warehouse is filled with a small simulation and built once; then builds with an
empty window alternate, `--pairs` times: `WarehouseBuild.run()` in this process (the
baseline, what `backbeat build` does) and a call of the `build-warehouse` flow against a
private Prefect server started here (a flow run with its tasks and artifacts, what
`--continuous` does). The difference is the per-build overhead of running builds as flow runs.

    uv run python bench/build_overhead.py [--users 500] [--pairs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _results import write_results

from backbeat import stack
from backbeat.emit.pacing import Pacer
from backbeat.emit.runs import run_simulation
from backbeat.emit.sinks import DirectRawSink
from backbeat.settings import get_settings, temporary_settings, with_overrides
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.stack.private import private_stack_settings
from backbeat.warehouse import open_build
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter

START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
DAY_MS = 86_400_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bb-overhead-"))
    settings = private_stack_settings(get_settings(), root / "state")
    settings = with_overrides(settings, warehouse={"dir": root / "warehouse"})

    params = SimulationParams(START_MS, START_MS + DAY_MS, args.users, seed=3)
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=2_000))
    sink = DirectRawSink(RawParquetWriter(settings.warehouse.dir), live_lag_ms=2_000)
    records = sum(run_simulation(simulator, sink, Pacer(None, 0)).counts.values())
    began = time.perf_counter()
    open_build(settings).run()
    print(f"{records:,} records; first build {time.perf_counter() - began:.1f} s")

    stack.up(settings, ["prefect"])
    try:
        from flows.build_warehouse import build_warehouse
        from flows.prefect_server import using_prefect_api

        in_process: list[float] = []
        as_flow: list[float] = []
        warehouse = {"dir": settings.warehouse.dir}
        with temporary_settings(warehouse=warehouse), using_prefect_api(settings):
            build_warehouse()  # warm-up: imports, the concurrency limit, the flow's record
            for _ in range(args.pairs):
                began = time.perf_counter()
                open_build(settings).run()
                in_process.append(time.perf_counter() - began)
                began = time.perf_counter()
                build_warehouse()
                as_flow.append(time.perf_counter() - began)
    finally:
        stack.down(settings, ["prefect"])
    base, flow = statistics.median(in_process), statistics.median(as_flow)
    print(
        f"empty build in-process: p50 {base:.2f} s  ({', '.join(f'{s:.2f}' for s in in_process)})"
    )
    print(
        f"empty build as a flow run: p50 {flow:.2f} s  ({', '.join(f'{s:.2f}' for s in as_flow)})"
    )
    print(f"Prefect's share per build: {flow - base:.2f} s; flow/in-process {flow / base:.2f}x")
    figures = {
        "records": records,
        "pairs": args.pairs,
        "in_process_s": [round(s, 3) for s in in_process],
        "flow_run_s": [round(s, 3) for s in as_flow],
        "in_process_p50_s": round(base, 3),
        "flow_run_p50_s": round(flow, 3),
        "overhead_p50_s": round(flow - base, 3),
        "ratio": round(flow / base, 2),
    }
    print(f"results: {write_results('build_overhead', figures)}")


if __name__ == "__main__":
    main()
