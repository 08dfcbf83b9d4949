"""Warehouse build time on DuckDB: a full build over N simulated events, then an incremental
build after one more simulated hour arrives.

The simulation runs once for `--days` plus one hour; events of the last hour are held back,
loaded into raw after the full build and picked up by the incremental build. Rows are
stamped as if loaded live (`_ingested_at` = 2 s after the newest event of their batch of
20,000), so the incremental build reads about the last hour, as it would in production.
Events go straight into raw (DirectRawSink), not through Kafka: this
measures the build, not the loader (bench/loader_throughput.py does that). Events counts
simulated events (page views); records counts all four topics.

    uv run python bench/warehouse_build.py [--users 20000] [--days 7] [--dir /tmp/bb-build]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from _results import write_results

from backbeat.emit.sinks import DirectRawSink
from backbeat.events import encode
from backbeat.settings import get_settings, with_overrides
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.warehouse import open_build
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter

START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
HOUR_MS = 3_600_000
#: Raw rows are stamped as if loaded live: each batch 2 s after its newest event.
BATCH_ROWS = 20_000
LIVE_LAG_MS = 2_000


def _load(root: Path, users: int, days: float) -> tuple[int, int, list[tuple[str, bytes]]]:
    """Simulate, write all but the last hour into raw; return counts and the held-back hour."""
    end_ms = START_MS + int(days * 24 * HOUR_MS)
    params = SimulationParams(start_ms=START_MS, end_ms=end_ms + HOUR_MS, n_users=users, seed=3)
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=20_000, catalogue_seed=3))
    sink = DirectRawSink(RawParquetWriter(root), batch_rows=BATCH_ROWS, live_lag_ms=LIVE_LAG_MS)
    held: list[tuple[str, bytes]] = []
    events = records = 0
    for event in simulator.events():
        value = encode(event.record)
        if event.record.ts >= end_ms:
            held.append((event.topic, value))
            continue
        sink.write(event.topic, event.key, value)
        records += 1
        events += event.topic == "page_view_events"
        if records % 2_000_000 == 0:
            print(f"  loaded {records:,} records", flush=True)
    sink.close()
    return events, records, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="warehouse dir (default: temp)")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="bb-build-"))
    if root.exists():
        shutil.rmtree(root)
    settings = with_overrides(get_settings(), warehouse={"dir": root, "backend": "duckdb"})

    began = time.perf_counter()
    events, records, held = _load(root, args.users, args.days)
    load_s = time.perf_counter() - began
    print(f"raw: {events:,} events ({records:,} records) in {load_s:.0f} s")

    build = open_build(settings)
    began = time.perf_counter()
    full = build.run()
    full_s = time.perf_counter() - began
    print(f"full build: {full_s:.1f} s, {full.rows_added('vault'):,} vault rows")

    sink = DirectRawSink(RawParquetWriter(root), batch_rows=BATCH_ROWS, live_lag_ms=LIVE_LAG_MS)
    for topic, value in held:
        sink.write(topic, None, value)
    sink.close()
    hour_events = sum(1 for topic, _ in held if topic == "page_view_events")
    began = time.perf_counter()
    incremental = build.run()
    incremental_s = time.perf_counter() - began
    print(
        f"incremental build (+1 simulated hour, {hour_events:,} events): {incremental_s:.1f} s, "
        f"{incremental.rows_added('vault'):,} vault rows"
    )
    slowest = sorted(full.runs, key=lambda r: -r.seconds)[:5]
    figures = {
        "events": events,
        "records": records,
        "raw_load_s": round(load_s, 1),
        "full_build_s": round(full_s, 2),
        "full_vault_rows": full.rows_added("vault"),
        "hour_events": hour_events,
        "incremental_build_s": round(incremental_s, 2),
        "incremental_vault_rows": incremental.rows_added("vault"),
        "slowest_models_full": {r.model: round(r.seconds, 2) for r in slowest},
        "slowest_models_incremental": {
            r.model: round(r.seconds, 2)
            for r in sorted(incremental.runs, key=lambda r: -r.seconds)[:5]
        },
    }
    print(f"results: {write_results('warehouse_build', figures)}")
    if args.dir is None:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
