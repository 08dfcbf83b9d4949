"""Backbeat's loader against the peer a user would otherwise pick: Spark Structured Streaming.

The same simulated records are produced once into a private Kafka, then drained alternately
by `backbeat load -w 2` (DuckDB raw) and by a Streamify-style Spark job (`spark_job.py`:
pyspark 4.0.0, local[2], one query per topic, `from_json`, Parquet by hour, `availableNow`),
each from the start of the topics into its own empty folder, each verified by counting its
rows. Printed per run and as ratios (Backbeat / Spark); JSON in bench/results/.

Spark runs in its own environment, made on first use under `.backbeat/peers/spark/` with uv
(pyspark only; never in Backbeat's install). Its Kafka connector comes from Maven Central
through Ivy on the first run (cached in ~/.ivy2 after).

Then produce→queryable at a fixed rate (default 5,000 records/s for 30 s, stamped as sent),
each peer on a fresh private Kafka: Backbeat's loader, and Spark with a 1 s trigger (the
fastest Streamify-style setting; Streamify itself uses 120 s). A row is queryable when a
reader can see its file — Backbeat's raw files appear by rename; Spark's file sink lists a
batch's files in `_spark_metadata/` when it commits — and both are watched the same way, every
0.1 s; latency is that moment minus the row's Kafka timestamp.

    uv run python bench/peers/spark_loader.py [--records 1280000] [--pairs 2]
                                              [--rate 5000] [--seconds 30]

Rates: "drain" counts from the moment the consumers run (Backbeat: its first raw file;
Spark: its queries started, after JVM start and Ivy) to the last row written; "whole" from
the process start to its exit, start-up included.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: the shared helpers

import duckdb
from _results import write_results
from environments import peer_python
from loader_throughput import first_file, records_for, start_loader

from backbeat import stack
from backbeat.kafka.producer import KafkaProducer
from backbeat.kafka.topics import EVENT_TOPICS
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.stack.private import private_stack_settings
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from backbeat.warehouse.raw_schema import event_columns

PYSPARK = "pyspark==4.0.0"
JOB = Path(__file__).with_name("spark_job.py")
SPARK_TYPES = {"STRING": "STRING", "INT64": "BIGINT", "FLOAT64": "DOUBLE", "BOOL": "BOOLEAN"}
IDLE_S = 1.0
T = TypeVar("T")


def spark_schemas() -> dict[str, dict[str, object]]:
    """Each eventsim topic's fields as Spark DDL; epoch-millisecond fields read as BIGINT."""
    schemas: dict[str, dict[str, object]] = {}
    for topic in EVENT_TOPICS:
        columns = event_columns(topic)
        ddl = ", ".join(
            f"`{c.name}` {'BIGINT' if c.type == 'TIMESTAMP' else SPARK_TYPES[c.type]}"
            for c in columns
        )
        epoch_ms = [c.name for c in columns if c.type == "TIMESTAMP"]
        schemas[topic] = {"ddl": ddl, "epoch_ms": epoch_ms}
    return schemas


def backbeat_run(base: Settings, tmp: Path, run: int, count: int) -> dict[str, float]:
    settings = with_overrides(
        base,
        warehouse={"dir": tmp / f"backbeat-{run}"},
        loader={"recovery_dir": tmp / f"recovery-{run}", "group_id": f"bench-{run}"},
    )
    began = time.monotonic()
    loader = start_loader(settings, exit_when_idle=IDLE_S)
    started = first_file(settings, began, loader)
    if loader.wait(timeout=1800) != 0:
        raise RuntimeError(f"backbeat load exited with {loader.returncode}")
    whole = time.monotonic() - began - IDLE_S  # it exits IDLE_S after the last batch
    counts = DuckDBWarehouse(settings.warehouse.dir).raw_counts()
    rows = sum(n for table, n in counts.items() if table != "dead_letter")
    return _figures("backbeat", rows, count, started, whole)


def start_spark_job(
    python: Path, bootstrap: str, out: Path, checkpoints: Path, *mode: str
) -> subprocess.Popen[str]:
    """spark_job.py in the peer environment; its stdout says when its queries started."""
    command = [python, JOB, bootstrap, out, checkpoints, json.dumps(spark_schemas()), *mode]
    return subprocess.Popen([str(part) for part in command], stdout=subprocess.PIPE, text=True)


def spark_run(python: Path, bootstrap: str, tmp: Path, run: int, count: int) -> dict[str, float]:
    out, checkpoints = tmp / f"spark-{run}", tmp / f"checkpoints-{run}"
    began = time.monotonic()
    job = start_spark_job(python, bootstrap, out, checkpoints, "--available-now")
    assert job.stdout is not None
    started = None
    for line in job.stdout:
        if line.startswith("started "):
            started = time.monotonic() - began
    if job.wait() != 0 or started is None:
        raise RuntimeError(f"the Spark job exited with {job.returncode}")
    whole = time.monotonic() - began
    files = [str(p) for p in out.glob("*/**/*.parquet")]
    with duckdb.connect() as db:
        (rows,) = db.execute("SELECT COUNT(*) FROM read_parquet(?)", [files]).fetchone() or (0,)
    return _figures("spark", rows, count, started, whole)


def _figures(peer: str, rows: int, count: int, started: float, whole: float) -> dict[str, float]:
    if rows != count:
        raise RuntimeError(f"{peer} wrote {rows:,} rows of the {count:,} produced")
    figures = {
        "rows": rows,
        "startup_s": round(started, 2),
        "whole_s": round(whole, 2),
        "drain_records_per_s": round(count / (whole - started)),
        "whole_records_per_s": round(count / whole),
    }
    print(f"{peer}: {figures}", flush=True)
    return figures


class VisibleFiles:
    """Watches a peer's output for files a reader can see: when each was first seen, and how
    many rows those hold (each file is read once, when it appears)."""

    def __init__(self, list_visible: Callable[[], set[Path]]) -> None:
        self._list_visible = list_visible
        self.seen: dict[Path, float] = {}
        self.rows = 0

    def poll(self) -> None:
        now = time.time()
        new = self._list_visible() - self.seen.keys()
        for path in new:
            self.seen[path] = now
        if new:
            with duckdb.connect() as db:
                files = [str(p) for p in new]
                (count,) = db.execute(
                    "SELECT COUNT(*) FROM read_parquet(?)", [files]
                ).fetchone() or (0,)
            self.rows += count


def backbeat_visible(root: Path) -> Callable[[], set[Path]]:
    def listed() -> set[Path]:
        return {p for p in (root / "raw").glob("*/*/*.parquet") if "dead_letter" not in p.parts}

    return listed


def spark_visible(out: Path) -> Callable[[], set[Path]]:
    """Files named by the file sink's committed batch logs: `_spark_metadata/<batch>`, and
    every tenth batch `<batch>.compact` (all entries so far, that batch's included)."""

    files: set[Path] = set()
    read: set[Path] = set()

    def listed() -> set[Path]:
        for log in set(out.glob("*/_spark_metadata/*")) - read:
            if log.name.removesuffix(".compact").isdigit():
                for line in log.read_text().splitlines()[1:]:
                    files.add(Path(json.loads(line)["path"].removeprefix("file:")))
                read.add(log)
        return files

    return listed


def produce_at_rate(settings: Settings, rate: int, seconds: int, watch: VisibleFiles) -> int:
    """Produce `rate` records/s for `seconds`, stamped as sent, polling `watch` meanwhile."""
    records = records_for(rate * seconds, int(time.time() * 1000))
    producer = KafkaProducer(settings.kafka, linger_ms=5)
    began = last_poll = time.monotonic()
    for index, (topic, key, value) in enumerate(records):
        delay = began + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        producer.write(topic, key, value)
        if time.monotonic() - last_poll >= 0.1:
            watch.poll()
            last_poll = time.monotonic()
    producer.close()
    print(f"  produced {len(records):,} at {len(records) / (time.monotonic() - began):,.0f}/s")
    return len(records)


def latency_figures(peer: str, watch: VisibleFiles, produced: int) -> dict[str, float]:
    lags: list[float] = []
    with duckdb.connect() as db:
        for path, seen in watch.seen.items():
            stamps = db.execute(
                "SELECT epoch_ms(_kafka_ts) FROM read_parquet(?)", [str(path)]
            ).fetchall()
            lags += [seen - ms / 1000 for (ms,) in stamps]
    if len(lags) != produced:
        raise RuntimeError(f"{peer}: {len(lags):,} rows seen of the {produced:,} produced")
    lags.sort()
    figures = {
        "rows": len(lags),
        **{
            f"p{q}_s": round(lags[min(len(lags) - 1, len(lags) * q // 100)], 3)
            for q in (50, 95, 99)
        },
        "max_s": round(lags[-1], 3),
    }
    print(f"{peer} produce->queryable: {figures}", flush=True)
    return figures


def _watch_until(watch: VisibleFiles, produced: int, peer: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        watch.poll()
        if watch.rows >= produced:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{peer}: {watch.rows:,} of {produced:,} rows visible after 2 minutes"
            )
        time.sleep(0.1)


def backbeat_latency(base: Settings, tmp: Path, rate: int, seconds: int) -> dict[str, float]:
    settings = with_overrides(
        base,
        warehouse={"dir": tmp / "backbeat-latency"},
        loader={"recovery_dir": tmp / "recovery-latency", "group_id": "bench-latency"},
    )
    loader = start_loader(settings, exit_when_idle=None)
    visible = backbeat_visible(settings.warehouse.dir)
    return steady_latency("backbeat", loader, visible, settings, rate, seconds)


def spark_latency(
    python: Path, base: Settings, tmp: Path, rate: int, seconds: int
) -> dict[str, float]:
    out = tmp / "spark-latency"
    checkpoints = tmp / "checkpoints-latency"
    job = start_spark_job(
        python, base.kafka.bootstrap_servers, out, checkpoints, "--trigger-s", "1"
    )
    assert job.stdout is not None
    if not job.stdout.readline().startswith("started "):
        job.kill()
        raise RuntimeError("the Spark job did not start")
    return steady_latency("spark (1 s trigger)", job, spark_visible(out), base, rate, seconds)


def steady_latency(
    peer: str,
    process: subprocess.Popen[Any],
    visible: Callable[[], set[Path]],
    settings: Settings,
    rate: int,
    seconds: int,
) -> dict[str, float]:
    """Produce at `rate` once the peer's `process` is past start-up, until every row is
    visible; the process is stopped either way."""
    try:
        time.sleep(8)  # past start-up: both peers are measured in steady state
        watch = VisibleFiles(visible)
        produced = produce_at_rate(settings, rate, seconds, watch)
        _watch_until(watch, produced, peer)
    finally:
        process.terminate()
        process.wait(timeout=60)
    return latency_figures(peer, watch, produced)


def drain_pairs(
    python: Path, base: Settings, tmp: Path, args: argparse.Namespace
) -> list[dict[str, object]]:
    """The same records drained by each peer in turn, `args.pairs` times."""
    records = records_for(args.records, 1_704_067_200_000)
    producer = KafkaProducer(base.kafka)
    for topic, key, value in records:
        producer.write(topic, key, value)
    producer.close()
    print(f"produced {len(records):,} records into a private Kafka", flush=True)
    runs: list[dict[str, object]] = []
    for pair in range(args.pairs):
        ours = backbeat_run(base, tmp, pair, len(records))
        theirs = spark_run(python, base.kafka.bootstrap_servers, tmp, pair, len(records))
        ratio = {
            key: round(ours[key] / theirs[key], 2)
            for key in ("drain_records_per_s", "whole_records_per_s")
        }
        print(f"pair {pair + 1}: Backbeat / Spark = {ratio}", flush=True)
        runs.append({"backbeat": ours, "spark": theirs, "ratio": ratio})
    return runs


def on_fresh_kafka(tmp: Path, name: str, measure: Callable[[Settings], T]) -> T:
    """`measure` on a private Kafka of its own (empty topics), stopped after."""
    base = private_stack_settings(get_settings(), tmp / f"state-{name}")
    base = with_overrides(base, loader={"metrics_port": 0})
    stack.up(base, ["kafka"])
    try:
        return measure(base)
    finally:
        stack.down(base, ["kafka"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, default=1_280_000)
    parser.add_argument("--pairs", type=int, default=2, help="alternating Backbeat/Spark runs")
    parser.add_argument("--rate", type=int, default=5_000, help="records/s of the latency run")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    python = peer_python("spark", PYSPARK)
    with tempfile.TemporaryDirectory(prefix="bb-peer-spark-") as directory:
        tmp = Path(directory)
        runs = (
            on_fresh_kafka(tmp, "drain", lambda b: drain_pairs(python, b, tmp, args))
            if args.pairs
            else []
        )
        ours_lag = on_fresh_kafka(
            tmp, "lat-backbeat", lambda b: backbeat_latency(b, tmp, args.rate, args.seconds)
        )
        theirs_lag = on_fresh_kafka(
            tmp, "lat-spark", lambda b: spark_latency(python, b, tmp, args.rate, args.seconds)
        )
    lower = round(theirs_lag["p95_s"] / ours_lag["p95_s"], 1)
    print(f"produce->queryable p95: Spark (1 s trigger) / Backbeat = {lower}x", flush=True)
    latency = {
        "rate": args.rate,
        "seconds": args.seconds,
        "backbeat": ours_lag,
        "spark_1s_trigger": theirs_lag,
        "spark_p95_over_backbeat_p95": lower,
    }
    write_results("peer_spark_loader", {"records": args.records, "runs": runs, "latency": latency})


if __name__ == "__main__":
    main()
