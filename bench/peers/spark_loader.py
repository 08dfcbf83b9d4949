"""Backbeat's loader against the peer a user would otherwise pick: Spark Structured Streaming.

The same simulated records are produced once into a private Kafka, then drained alternately
by `backbeat load -w 2` (DuckDB raw) and by a Streamify-style Spark job (`spark_job.py`:
pyspark 4.0.0, local[2], one query per topic, `from_json`, Parquet by hour, `availableNow`),
each from the start of the topics into its own empty folder, each verified by counting its
rows. Printed per run and as ratios (Backbeat / Spark); JSON in bench/results/.

Spark runs in its own environment, made on first use under `.backbeat/peers/spark/` with uv
(pyspark only; never in Backbeat's install). Its Kafka connector comes from Maven Central
through Ivy on the first run (cached in ~/.ivy2 after).

    uv run python bench/peers/spark_loader.py [--records 1280000] [--pairs 2]

Rates: "drain" counts from the moment the consumers run (Backbeat: its first raw file;
Spark: its queries started, after JVM start and Ivy) to the last row written; "whole" from
the process start to its exit, start-up included.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: the shared helpers

import duckdb
from _results import write_results
from loader_throughput import records_for

from backbeat import stack
from backbeat.kafka.producer import KafkaProducer
from backbeat.kafka.topics import EVENT_TOPICS
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.stack.private import private_stack_settings
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from backbeat.warehouse.raw_schema import event_columns

REPO = Path(__file__).resolve().parents[2]
PEER_ENV = REPO / ".backbeat" / "peers" / "spark"
PYSPARK = "pyspark==4.0.0"
JOB = Path(__file__).with_name("spark_job.py")
SPARK_TYPES = {"STRING": "STRING", "INT64": "BIGINT", "FLOAT64": "DOUBLE", "BOOL": "BOOLEAN"}
IDLE_S = 1.0


def spark_python() -> Path:
    """The peer environment's interpreter, made with uv the first time."""
    python = PEER_ENV / "bin" / "python"
    if not python.exists():
        print(f"making the Spark environment in {PEER_ENV} ({PYSPARK}) ...", flush=True)
        subprocess.run(["uv", "venv", "-q", "-p", "3.11", str(PEER_ENV)], check=True)
        subprocess.run(["uv", "pip", "install", "-q", "--python", str(python), PYSPARK], check=True)
    return python


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
    env = {**os.environ, **settings_environment(settings)}
    began = time.monotonic()
    loader = subprocess.Popen(
        [sys.executable, "-m", "backbeat", "load", "-w", "2", "--exit-when-idle", str(IDLE_S)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    raw = settings.warehouse.dir / "raw"
    while not any(raw.glob("*/*/*.parquet")):
        if loader.poll() is not None:
            raise RuntimeError(f"backbeat load exited with {loader.returncode} before loading")
        time.sleep(0.02)
    started = time.monotonic() - began
    if loader.wait(timeout=1800) != 0:
        raise RuntimeError(f"backbeat load exited with {loader.returncode}")
    whole = time.monotonic() - began - IDLE_S  # it exits IDLE_S after the last batch
    counts = DuckDBWarehouse(settings.warehouse.dir).raw_counts()
    rows = sum(n for table, n in counts.items() if table != "dead_letter")
    return _figures("backbeat", rows, count, started, whole)


def spark_run(python: Path, bootstrap: str, tmp: Path, run: int, count: int) -> dict[str, float]:
    out, checkpoints = tmp / f"spark-{run}", tmp / f"checkpoints-{run}"
    began = time.monotonic()
    job = subprocess.Popen(
        [python, JOB, bootstrap, out, checkpoints, json.dumps(spark_schemas()), "--available-now"],
        stdout=subprocess.PIPE,
        text=True,
    )
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, default=1_280_000)
    parser.add_argument("--pairs", type=int, default=2, help="alternating Backbeat/Spark runs")
    args = parser.parse_args()
    python = spark_python()
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bb-peer-spark-") as directory:
        tmp = Path(directory)
        base = private_stack_settings(get_settings(), tmp / "state")
        base = with_overrides(base, loader={"metrics_port": 0})
        stack.up(base, ["kafka"])
        try:
            records = records_for(args.records, 1_704_067_200_000)
            producer = KafkaProducer(base.kafka)
            for topic, key, value in records:
                producer.write(topic, key, value)
            producer.close()
            print(f"produced {len(records):,} records into a private Kafka", flush=True)
            for pair in range(args.pairs):
                ours = backbeat_run(base, tmp, pair, len(records))
                theirs = spark_run(python, base.kafka.bootstrap_servers, tmp, pair, len(records))
                ratio = {
                    key: round(ours[key] / theirs[key], 2)
                    for key in ("drain_records_per_s", "whole_records_per_s")
                }
                print(f"pair {pair + 1}: Backbeat / Spark = {ratio}", flush=True)
                runs.append({"backbeat": ours, "spark": theirs, "ratio": ratio})
        finally:
            stack.down(base, ["kafka"])
    write_results("peer_spark_loader", {"records": args.records, "runs": runs})


if __name__ == "__main__":
    main()
