"""Event -> mart latency with continuous builds under a steady stream.

A private Kafka and Prefect server, `backbeat load` and `backbeat build --continuous` (the
default 15 s cadence unless `--every`), and a producer sending `--rate` records/s (default
5,000, all four topics) for `--seconds` (default 300), each record stamped with the time it is
sent, so its event time is now. When the stream stops and a build has read the last row, each
row's latency is measured from the rows and the build log:

- event -> raw: `_ingested_at - ts` (the loader's micro-batch handed to the warehouse);
- event -> mart: the end of the first build whose watermark (`until`) reached the row's
  `_ingested_at` minus `ts`: from then on the row was in the vault and the marts. The end is
  the build record's `finished_at`, or for code that predates it, the record file's mtime
  (written as the build ends), so older versions can be measured the same way.

The first `--warmup` seconds (default 30) are left out: the loader and the first (cold) build
start there. The producer's achieved rate is printed: a figure counts only if it kept up.

What grows with time shows only over time, so the run is also reported minute by minute
(`series`): event -> mart p95 of the rows sent in that minute, the builds that started in it
(median seconds), and the raw Parquet files on disk, sampled every 30 s; `--chart` draws them
to bench/results/event_to_mart-<time>.png. A short run hides the trend: use 20 minutes or more.

    uv run python bench/event_to_mart.py [--rate 5000] [--seconds 300] [--every 15] [--chart]
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from _results import write_results

from backbeat import stack
from backbeat.events import EventRecord
from backbeat.events.codec import encode
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.stack.private import private_stack_settings
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse

DAY_MS = 86_400_000
EVENT_TABLES = ("listen_events", "page_view_events", "auth_events", "status_change_events")


def simulated_records(
    count: int, users: int = 20_000
) -> list[tuple[str, bytes | None, EventRecord]]:
    """`count` simulated records (topic, key, record), made before the clock starts."""
    params = SimulationParams(
        start_ms=1_704_067_200_000, end_ms=1_704_067_200_000 + 60 * DAY_MS, n_users=users, seed=1
    )
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=20_000, catalogue_seed=1))
    records: list[tuple[str, bytes | None, EventRecord]] = []
    for event in simulator.events():
        records.append((event.topic, event.key, event.record))
        if len(records) == count:
            break
    return records


def _produce(settings: Settings, rate: int, seconds: int) -> tuple[int, float, float]:
    """Send `rate` records/s for `seconds`, each stamped now; (records, start, achieved rate)."""
    records = simulated_records(rate * seconds)
    producer = KafkaProducer(settings.kafka, linger_ms=5)
    began_wall = time.time()
    began = time.monotonic()
    for index, (topic, key, record) in enumerate(records):
        delay = began + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now_ms = int(time.time() * 1000)
        producer.write(topic, key, encode(msgspec.structs.replace(record, ts=now_ms)))
        if index and index % (rate * 30) == 0:
            print(f"  sent {index:,} records", flush=True)
    producer.close()
    return len(records), began_wall, len(records) / (time.monotonic() - began)


def _builds(warehouse_dir: Path) -> tuple[list[float], list[float], list[float]]:
    """Finished builds' (until, finished) as epoch seconds sorted by until, and their durations."""
    found = []
    for record in (warehouse_dir / "builds").glob("*.json"):
        document = json.loads(record.read_text())
        until = datetime.fromisoformat(document["window"]["until"]).timestamp()
        finished = document.get("finished_at")
        end = datetime.fromisoformat(finished).timestamp() if finished else record.stat().st_mtime
        seconds = sum(run["seconds"] for run in document["runs"])
        found.append((until, end, seconds))
    log = warehouse_dir / "builds" / "log"
    if log.exists():  # records folded into Parquet (newer code, long runs)
        folded = DuckDBWarehouse(warehouse_dir).query(
            "SELECT UNIX_MICROS(until) / 1e6, UNIX_MICROS(finished_at) / 1e6, runs "
            "FROM vault.build_log"
        )
        seen = {u for u, _, _ in found}
        for until, end, runs in folded.rows:
            if until not in seen:
                found.append((until, end, sum(r["seconds"] for r in json.loads(runs))))
    found.sort()
    # The first build to reach a row brought it; a later build ends later (they never overlap).
    return [u for u, _, _ in found], [e for _, e, _ in found], [s for _, _, s in found]


class FileCounter(threading.Thread):
    """Counts the raw Parquet files every `every_s` while the run lasts: (time, files)."""

    def __init__(self, raw: Path, every_s: float = 30.0) -> None:
        super().__init__(daemon=True)
        self.raw, self.every_s = raw, every_s
        self.samples: list[tuple[float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every_s):
            self.samples.append((time.time(), sum(1 for _ in self.raw.glob("*/*/*.parquet"))))


def _series(
    began: float,
    steady: list[tuple[float, float]],
    in_marts: list[float],
    until: list[float],
    durations: list[float],
    files: list[tuple[float, int]],
) -> list[dict[str, Any]]:
    """Per minute since the stream began: event -> mart p95 of the rows sent in it, the
    median build (by its window's end), the raw files counted last in it."""
    minutes: dict[int, dict[str, list[float]]] = {}

    def bucket(moment: float) -> dict[str, list[float]]:
        return minutes.setdefault(int((moment - began) // 60), {"mart": [], "build": [], "f": []})

    for (ts, _), latency in zip(steady, in_marts, strict=True):
        bucket(ts)["mart"].append(latency)
    for end, seconds in zip(until, durations, strict=True):
        if end >= began:
            bucket(end)["build"].append(seconds)
    for moment, count in files:
        bucket(moment)["f"] = [float(count)]
    return [
        {
            "minute": minute,
            "event_to_mart_p95_s": _percentiles(v["mart"])["p95_s"] if v["mart"] else None,
            "build_median_s": round(statistics.median(v["build"]), 2) if v["build"] else None,
            "builds": len(v["build"]),
            "raw_files": int(v["f"][-1]) if v["f"] else None,
        }
        for minute, v in sorted(minutes.items())
    ]


def chart(series: list[dict[str, Any]], title: str, path: Path) -> Path:
    """Three panels over minutes: event -> mart p95, build seconds, raw files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (
        ("event_to_mart_p95_s", "event -> mart p95 (s)"),
        ("build_median_s", "build, median (s)"),
        ("raw_files", "raw Parquet files"),
    )
    figure, axes = plt.subplots(len(panels), 1, figsize=(8, 8), sharex=True)
    for axis, (key, label) in zip(axes, panels, strict=True):
        points = [(row["minute"], row[key]) for row in series if row[key] is not None]
        axis.plot([m for m, _ in points], [v for _, v in points], marker=".")
        axis.set_ylabel(label)
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
    axes[-1].set_xlabel("minute of the stream")
    axes[0].set_title(title)
    figure.tight_layout()
    path.parent.mkdir(exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(percent: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))], 2)

    return {"p50_s": at(50), "p95_s": at(95), "p99_s": at(99), "max_s": round(ordered[-1], 2)}


def run(
    base: Settings, rate: int, seconds: int, every: float, warmup: int, tmp: Path
) -> dict[str, Any]:
    settings = with_overrides(
        base, warehouse={"dir": tmp / "warehouse"}, loader={"recovery_dir": tmp / "recovery"}
    )
    env = {**os.environ, **settings_environment(settings)}
    loader = subprocess.Popen(
        [sys.executable, "-m", "backbeat", "load", "-w", "1"], env=env, stdout=subprocess.DEVNULL
    )
    builds = subprocess.Popen(
        [sys.executable, "-m", "backbeat", "build", "--continuous", "--every", str(every)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    files = FileCounter(settings.warehouse.dir / "raw")
    files.start()
    try:
        time.sleep(5)
        sent, began, achieved = _produce(settings, rate, seconds)
        print(f"produced {sent:,} records at {achieved:,.0f}/s", flush=True)
        warehouse = DuckDBWarehouse(settings.warehouse.dir)
        union = " UNION ALL ".join(
            f"SELECT UNIX_MICROS(ts) / 1e6 AS ts, UNIX_MICROS(_ingested_at) / 1e6 AS ingested "
            f"FROM raw.{t}"
            for t in EVENT_TABLES
        )
        deadline = time.monotonic() + 300
        while True:  # every row in raw, and a finished build that reached the last one
            (rows, newest) = warehouse.query(f"SELECT COUNT(*), MAX(ingested) FROM ({union})").rows[
                0
            ]
            until, _, _ = _builds(settings.warehouse.dir)
            if rows >= sent and len(until) and until[-1] >= newest - 1e-6:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {rows:,} of {sent:,} rows in raw, or no build reached them")
            time.sleep(1)
    finally:
        files.done.set()
        for process in (builds, loader):
            process.terminate()
        for process in (builds, loader):
            process.wait(timeout=120)
    rows = [(float(t), float(i)) for t, i in warehouse.query(union).rows]
    until, finished, durations = _builds(settings.warehouse.dir)
    steady = [(t, i) for t, i in rows if t >= began + warmup]
    # The first build whose watermark reached the row (until >= _ingested_at) brought it.
    in_marts = [finished[bisect.bisect_left(until, i - 1e-6)] - t for t, i in steady]
    newest = max(i for _, i in rows)
    measured = [s for u, s in zip(until, durations, strict=True) if began + warmup <= u <= newest]
    return {
        "rate": rate,
        "seconds": seconds,
        "cadence_s": every,
        "produced_rate": round(achieved),
        "records": len(rows),
        "records_measured": len(steady),
        "builds": len(measured),
        "build_seconds": _percentiles(measured),
        "event_to_raw": _percentiles([i - t for t, i in steady]),
        "event_to_mart": _percentiles(in_marts),
        "raw_files_at_end": files.samples[-1][1] if files.samples else None,
        "series": _series(began, steady, in_marts, until, durations, files.samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=5_000)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--every", type=float, default=15.0, help="build cadence, seconds")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--chart", action="store_true", help="draw the series to a PNG")
    parser.add_argument("--label", default="", help="a name for the chart's title (e.g. a commit)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        base = private_stack_settings(get_settings(), tmp / "state")
        base = with_overrides(base, loader={"metrics_port": 0})
        stack.up(base, ["kafka", "prefect"])
        try:
            figures = run(base, args.rate, args.seconds, args.every, args.warmup, tmp)
        finally:
            stack.down(base, ["kafka", "prefect"])
    for name in ("event_to_raw", "event_to_mart", "build_seconds"):
        print(f"{name}: {figures[name]}")
    print("minute  event->mart p95  build median  builds  raw files")
    for row in figures["series"]:
        print(
            f"{row['minute']:>6}  {row['event_to_mart_p95_s'] or '-':>15}  "
            f"{row['build_median_s'] or '-':>12}  {row['builds']:>6}  {row['raw_files'] or '-':>9}"
        )
    results = write_results("event_to_mart", figures)
    if args.chart:
        title = f"{args.rate:,} events/s, builds every {args.every:g} s {args.label}".strip()
        print(f"chart: {chart(figures['series'], title, results.with_suffix('.png'))}")


if __name__ == "__main__":
    main()
