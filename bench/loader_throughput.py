"""The loader on DuckDB: sustained throughput, and event-to-queryable latency at a fixed rate.

1. throughput: produce N simulated records into a private Kafka first, then time
   `backbeat load` (`--workers`, default 2) from start until everything is in raw. Start-up is timed
   separately (the moment the first file appears) and left out of the rate.
2. latency: produce at a fixed rate (default 10,000 records/s) while the loader runs; a
   record's latency is the time from its Kafka timestamp (produce time) to the start of the
   write of its micro-batch (`_ingested_at`), read back from raw with SQL; the file becomes
   visible when that write ends (a few ms later; the loader's
   `backbeat_loader_event_to_warehouse_seconds` metric is taken after the rename).

    uv run python bench/loader_throughput.py [--records 1000000] [--rate 10000] [--seconds 30]
        [--workers 2] [--no-latency]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import write_results

from backbeat import stack
from backbeat.events.codec import encode
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.stack.private import private_stack_settings
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse

DAY_MS = 86_400_000


def records_for(count: int, start_ms: int) -> list[tuple[str, bytes, bytes]]:
    """`count` simulated records (topic, key, value), generated before any timing."""
    params = SimulationParams(
        start_ms=start_ms, end_ms=start_ms + 60 * DAY_MS, n_users=20_000, seed=1
    )
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=20_000, catalogue_seed=1))
    records = []
    for event in simulator.events():
        records.append((event.topic, event.key, encode(event.record)))
        if len(records) == count:
            break
    return records


def start_loader(
    settings: Settings, exit_when_idle: float | None, workers: int = 2
) -> subprocess.Popen[bytes]:
    """`backbeat load -w workers` (2 unless told: bench/peers/spark_loader.py's setting)."""
    env = {**os.environ, **settings_environment(settings)}
    args = ["load", "-w", str(workers)] + (
        [] if exit_when_idle is None else ["--exit-when-idle", str(exit_when_idle)]
    )
    return subprocess.Popen(
        [sys.executable, "-m", "backbeat", *args], env=env, stdout=subprocess.DEVNULL
    )


def first_file(settings: Settings, began: float, loader: subprocess.Popen[bytes]) -> float:
    """Seconds from `began` until the loader's first raw file appears (its start-up)."""
    raw = settings.warehouse.dir / "raw"
    while not any(raw.glob("*/*/*.parquet")):
        if loader.poll() is not None:
            raise RuntimeError(f"backbeat load exited with {loader.returncode} before loading")
        time.sleep(0.02)
    return time.monotonic() - began


def throughput(base: Settings, count: int, tmp: Path) -> dict[str, float]:
    settings = with_overrides(
        base, warehouse={"dir": tmp / "throughput"}, loader={"recovery_dir": tmp / "rec-t"}
    )
    records = records_for(count, 1_704_067_200_000)
    sink = KafkaProducer(settings.kafka)
    for topic, key, value in records:
        sink.write(topic, key, value)
    sink.close()
    idle_s = 1.0
    began = time.monotonic()
    loader = start_loader(settings, exit_when_idle=idle_s, workers=settings.loader.workers)
    startup = first_file(settings, began, loader)
    loader.wait(timeout=600)
    # The loader exits `idle_s` after the last partition drained; counting is done once, after.
    loaded = time.monotonic() - began - idle_s
    counted = sum(
        n
        for t, n in DuckDBWarehouse(settings.warehouse.dir).raw_counts().items()
        if t != "dead_letter"
    )
    if counted != count:
        raise RuntimeError(f"raw holds {counted} rows, {count} were produced")
    return {
        "records": count,
        "startup_s": round(startup, 2),
        "load_s_after_startup": round(loaded - startup, 2),
        "records_per_s": round(count / (loaded - startup)),
    }


def latency(base: Settings, rate: int, seconds: int, tmp: Path) -> dict[str, float]:
    settings = with_overrides(
        base, warehouse={"dir": tmp / "latency"}, loader={"recovery_dir": tmp / "rec-l"}
    )
    records = records_for(rate * seconds, int(time.time() * 1000))
    loader = start_loader(settings, exit_when_idle=None, workers=settings.loader.workers)
    time.sleep(5)  # past start-up: latency is measured in steady state
    sink = KafkaProducer(settings.kafka, linger_ms=5)
    began = time.monotonic()
    for index, (topic, key, value) in enumerate(records):
        due = began + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sink.write(topic, key, value)
    sink.close()
    produce_rate = len(records) / (time.monotonic() - began)
    warehouse = DuckDBWarehouse(settings.warehouse.dir)
    while sum(n for t, n in warehouse.raw_counts().items() if t != "dead_letter") < len(records):
        time.sleep(0.5)
    loader.terminate()
    loader.wait(timeout=60)
    union = " UNION ALL ".join(
        f"SELECT TIMESTAMP_DIFF(_ingested_at, _kafka_ts, MILLISECOND) / 1000 AS lag FROM raw.{t}"
        for t in ("listen_events", "page_view_events", "auth_events", "status_change_events")
    )
    row = warehouse.query(
        f"SELECT APPROX_QUANTILES(lag, 100)[OFFSET(50)], APPROX_QUANTILES(lag, 100)[OFFSET(95)], "
        f"APPROX_QUANTILES(lag, 100)[OFFSET(99)], MAX(lag), COUNT(*) FROM ({union})"
    ).rows[0]
    return {
        "target_rate": rate,
        "produced_rate": round(produce_rate),
        "records": int(row[4]),
        "p50_s": round(float(row[0]), 3),
        "p95_s": round(float(row[1]), 3),
        "p99_s": round(float(row[2]), 3),
        "max_s": round(float(row[3]), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2, help="loader workers (-w)")
    parser.add_argument("--no-latency", action="store_true", help="the throughput part only")
    args = parser.parse_args()
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        parts = ("throughput",) if args.no_latency else ("throughput", "latency")
        for part in parts:  # each on a fresh Kafka: empty topics
            base = private_stack_settings(get_settings(), tmp / f"state-{part}")
            base = with_overrides(base, loader={"metrics_port": 0, "workers": args.workers})
            stack.up(base, ["kafka"])
            try:
                if part == "throughput":
                    figures[part] = throughput(base, args.records, tmp)
                else:
                    figures[part] = latency(base, args.rate, args.seconds, tmp)
                print(f"{part}: {figures[part]}")
            finally:
                stack.down(base, ["kafka"])
    write_results("loader_throughput", {"workers": args.workers, **figures})


if __name__ == "__main__":
    main()
