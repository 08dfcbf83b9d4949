"""Warehouse build time on DuckDB: a full build over N simulated events, then an incremental
build after 30 seconds' worth of events at 5,000 events/s arrives.

The simulation runs for `--days` and then until `--increment` more records (default 150,000:
30 s at 5,000/s) are held back; those are loaded into raw after the full build and picked up
by the incremental build. Past days of raw are compacted first, as the daily compact-raw
flow keeps them in production. Rows are stamped as if loaded live (`_ingested_at` = 2 s after the
newest event of their batch), so the incremental build reads only the increment, as it would
in production. Events go straight into raw (DirectRawSink), not through Kafka: this measures
the build, not the loader (bench/loader_throughput.py does that). Events counts simulated
events (page views); records counts all four topics.

Simulating 10M events takes minutes; `--dir D --reuse` keeps the simulated raw in D (as
hard links under `D/raw-history`) and later runs with the same `--users/--days/--increment`
rebuild from it, so one history can be built by two versions of the code (before/after).

    uv run python bench/warehouse_build.py [--users 20000] [--days 7] [--dir D --reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
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
from backbeat.warehouse.duckdb.compaction import RawCompactor
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter

START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
HOUR_MS = 3_600_000
#: Raw rows are stamped as if loaded live: each batch 2 s after its newest event.
BATCH_ROWS = 20_000
LIVE_LAG_MS = 2_000
#: The loader hands a micro-batch over every ~2 s: 10,000 records at 5,000/s.
INCREMENT_BATCH_ROWS = 10_000


def _simulate(
    root: Path, users: int, days: float, increment: int
) -> tuple[int, int, list[tuple[str, bytes]]]:
    """Simulate, write `days` into raw; return counts and the next `increment` records."""
    end_ms = START_MS + int(days * 24 * HOUR_MS)
    params = SimulationParams(
        start_ms=START_MS, end_ms=end_ms + 72 * HOUR_MS, n_users=users, seed=3
    )
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=20_000, catalogue_seed=3))
    sink = DirectRawSink(RawParquetWriter(root), batch_rows=BATCH_ROWS, live_lag_ms=LIVE_LAG_MS)
    held: list[tuple[str, bytes]] = []
    events = records = 0
    for event in simulator.events():
        value = encode(event.record)
        if event.record.ts >= end_ms:
            held.append((event.topic, value))
            if len(held) >= increment:
                break
            continue
        sink.write(event.topic, event.key, value)
        records += 1
        events += event.topic == "page_view_events"
        if records % 2_000_000 == 0:
            print(f"  loaded {records:,} records", flush=True)
    sink.close()
    # History as production keeps it: the daily compaction merges each past day's
    # micro-batch files (compact-raw flow), so a build lists a handful of files per day.
    compacted = RawCompactor(root, min_age_days=0).run()
    print(f"  compacted raw: {compacted.files_before:,} files into {compacted.files_after:,}")
    if len(held) < increment:
        raise SystemExit(f"the simulation ended with {len(held):,} of {increment:,} records held")
    return events, records, held


def _prepare(
    root: Path, users: int, days: float, increment: int, reuse: bool
) -> tuple[int, int, list[tuple[str, bytes]], float]:
    """Raw holding the history, from a kept simulation when `reuse` finds a matching one."""
    marker = root / "bench-history.json"
    wanted = {"users": users, "days": days, "increment": increment}
    history = root / "raw-history"
    if reuse and marker.exists() and json.loads(marker.read_text())["params"] == wanted:
        kept = json.loads(marker.read_text())
        for child in root.iterdir():
            if child.name not in {marker.name, history.name, "increment.jsonl"}:
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        subprocess.run(["cp", "-al", str(history), str(root / "raw")], check=True)
        lines = (root / "increment.jsonl").read_text().splitlines()
        held = [(t, v.encode()) for t, v in (json.loads(line) for line in lines)]
        print(f"raw: reusing the history kept in {root}")
        return kept["events"], kept["records"], held, kept["raw_load_s"]
    if root.exists():
        shutil.rmtree(root)
    began = time.perf_counter()
    events, records, held = _simulate(root, users, days, increment)
    load_s = time.perf_counter() - began
    if reuse:
        subprocess.run(["cp", "-al", str(root / "raw"), str(history)], check=True)
        with (root / "increment.jsonl").open("w") as out:
            out.writelines(json.dumps([t, v.decode()]) + os.linesep for t, v in held)
        document = {"params": wanted, "events": events, "records": records, "raw_load_s": load_s}
        marker.write_text(json.dumps(document))
    return events, records, held, load_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument(
        "--increment", type=int, default=150_000, help="records the incremental build reads"
    )
    parser.add_argument("--dir", type=Path, default=None, help="warehouse dir (default: temp)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the simulated raw in --dir and reuse it"
    )
    args = parser.parse_args()
    if args.reuse and args.dir is None:
        parser.error("--reuse needs --dir")
    root = args.dir or Path(tempfile.mkdtemp(prefix="bb-build-"))
    settings = with_overrides(get_settings(), warehouse={"dir": root, "backend": "duckdb"})

    events, records, held, load_s = _prepare(
        root, args.users, args.days, args.increment, args.reuse
    )
    print(f"raw: {events:,} events ({records:,} records), simulated in {load_s:.0f} s")

    build = open_build(settings)
    began = time.perf_counter()
    full = build.run()
    full_s = time.perf_counter() - began
    print(f"full build: {full_s:.1f} s, {full.rows_added('vault'):,} vault rows")

    sink = DirectRawSink(
        RawParquetWriter(root), batch_rows=INCREMENT_BATCH_ROWS, live_lag_ms=LIVE_LAG_MS
    )
    for topic, value in held:
        sink.write(topic, None, value)
    sink.close()
    increment_events = sum(1 for topic, _ in held if topic == "page_view_events")
    began = time.perf_counter()
    incremental = build.run()
    incremental_s = time.perf_counter() - began
    print(
        f"incremental build (+{len(held):,} records, {increment_events:,} events): "
        f"{incremental_s:.1f} s, {incremental.rows_added('vault'):,} vault rows"
    )
    slowest = sorted(full.runs, key=lambda r: -r.seconds)[:5]
    figures = {
        "events": events,
        "records": records,
        "raw_load_s": round(load_s, 1),
        "full_build_s": round(full_s, 2),
        "full_vault_rows": full.rows_added("vault"),
        "increment_records": len(held),
        "increment_events": increment_events,
        "incremental_build_s": round(incremental_s, 2),
        "incremental_vault_rows": incremental.rows_added("vault"),
        "slowest_models_full": {r.model: round(r.seconds, 2) for r in slowest},
        "slowest_models_incremental": {
            r.model: round(r.seconds, 2)
            for r in sorted(incremental.runs, key=lambda r: -r.seconds)[:8]
        },
    }
    print(f"results: {write_results('warehouse_build', figures)}")
    if args.dir is None:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
