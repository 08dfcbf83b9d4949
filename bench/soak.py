"""The whole platform running for an hour (or a compressed week), its cost read minute by minute.

A private Kafka, Redis and Prefect server; the processes a team runs, as a person starts them:
`backbeat load`, `backbeat sessions`, `backbeat api` (under light load: `--api-rate` lookups/s),
`backbeat build --continuous` (15 s cadence) and a quality scan (`backbeat quality`) every
`--quality-every` seconds, one at a time. A producer sends `--rate` simulated records/s (all
four event topics) for `--minutes`, each restamped as it is sent.

Two modes:
- `steady` (A): event time is the send time. The question: is the last ten minutes' cost the
  first ten minutes' cost?
- `week` (B): event time runs `--speed` times faster than the clock (default 200: an hour is
  eight days), ending now, so days roll over while it runs: old dates are compacted, the PIT and
  day marts see new days. The builds pause for `--pause` seconds midway (the process stopped and
  started again): how long do they take to catch up? At the end the marts are compared with a
  full rebuild of the same raw rows, table by table.

Every `--sample` seconds: raw Parquet files, files and bytes under the run's folder (disk and
inodes), the Prefect database's size, Redis' used memory, the RSS of every process of the run.
At the end, from the raw rows and the build log: event -> raw and event -> mart p95 of the
records sent in each minute, the builds that started in it (median seconds), the API's p95, the
quality scans' seconds, and which models grew. Written to bench/results/soak-<mode>-<time>.json
with a PNG chart beside it.

    uv run python bench/soak.py --mode steady --minutes 60
    uv run python bench/soak.py --mode week --minutes 40 --pause 300
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import msgspec
from _results import write_results
from event_to_mart import simulated_records

from backbeat import stack
from backbeat.children import dies_with_parent
from backbeat.events import EventRecord
from backbeat.events.codec import encode
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.stack.private import free_port, private_stack_settings
from backbeat.warehouse import open_build
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse

EVENT_TABLES = ("listen_events", "page_view_events", "auth_events", "status_change_events")
SERVICES = ["kafka", "redis", "prefect"]
API_KEY = "soak-key"
#: A session id of the n-th pass over the record pool: pass * SESSION_STRIDE + its own.
SESSION_STRIDE = 10_000_000
#: Columns that may differ between two builds of the same rows: when and by which build, and
#: the topic a key was first loaded from (load order, not event order, decides it).
BUILD_COLUMNS = {"load_ts", "build_id", "built_at", "finished_at", "record_source"}


@dataclass(frozen=True)
class Clock:
    """Event time against the wall: `ts = start_ms + (wall - began) * speed`."""

    began: float
    start_ms: int
    speed: float

    def event_ms(self, wall: float) -> int:
        return int(self.start_ms + (wall - self.began) * 1000 * self.speed)

    def sql_sent(self, ts: str) -> str:
        """SQL for the wall time (epoch s) a row with event time `ts` was sent."""
        return f"({self.began} + (EPOCH_MS({ts}) - {self.start_ms}) / 1000.0 / {self.speed})"


# -- the stream ------------------------------------------------------------------------------


@dataclass(eq=False)
class Producer(threading.Thread):
    """Sends the pool round and round at `rate`/s, each record stamped by `clock`; a new pass
    gets new session ids, so sessions never repeat."""

    settings: Settings
    pool: list[tuple[str, bytes | None, EventRecord]]
    rate: int
    seconds: float
    clock: Clock
    sent: int = 0
    achieved: float = 0.0

    def __post_init__(self) -> None:
        super().__init__(daemon=True, name="producer")

    def run(self) -> None:
        producer = KafkaProducer(self.settings.kafka, linger_ms=5)
        total = int(self.rate * self.seconds)
        began = self.clock.began
        for index in range(total):
            delay = began + index / self.rate - time.time()
            if delay > 0:
                time.sleep(delay)
            topic, key, record = self.pool[index % len(self.pool)]
            passes = index // len(self.pool)
            fields: dict[str, Any] = {"ts": self.clock.event_ms(time.time())}
            if passes and getattr(record, "session_id", None) is not None:
                fields["session_id"] = record.session_id + passes * SESSION_STRIDE
            producer.write(topic, key, encode(msgspec.structs.replace(record, **fields)))
            self.sent = index + 1
            if index and index % (self.rate * 60) == 0:
                print(f"  minute {index // (self.rate * 60)}: sent {index:,} records", flush=True)
        producer.close()
        self.achieved = total / (time.time() - began)


# -- the processes ---------------------------------------------------------------------------


@dataclass
class Processes:
    """The run's `backbeat` processes, each logging to a file of its own."""

    env: dict[str, str]
    logs: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "backbeat", *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=dies_with_parent(),
            )
        self.running[name] = process
        return process

    def stop(self, name: str) -> None:
        process = self.running.pop(name)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def check(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
                raise SystemExit(f"{name} exited with {process.returncode}:\n{tail}")

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name)


class Every(threading.Thread):
    """Calls `work` every `every_s` until stopped (the next call waits for the last)."""

    def __init__(self, every_s: float, work: Callable[[], None], name: str) -> None:
        super().__init__(daemon=True, name=name)
        self.every_s, self.work = every_s, work
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            began = time.monotonic()
            self.work()
            self.done.wait(max(0.0, self.every_s - (time.monotonic() - began)))


# -- what is sampled while it runs -----------------------------------------------------------


def _descendants(root: int) -> Iterator[tuple[int, str]]:
    """Every process under `root`: (pid, a short name from its command line)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    pending = list(parents.get(root, []))
    while pending:
        pid = pending.pop()
        pending.extend(parents.get(pid, []))
        yield pid, _process_name(pid)


def _process_name(pid: int) -> str:
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = [w.decode(errors="replace") for w in words if w]
    if "backbeat" in text:
        return "backbeat " + " ".join(text[text.index("backbeat") + 1 :][:1])
    for marker, name in (("kafka", "kafka"), ("redis-server", "redis"), ("prefect", "prefect")):
        if any(marker in w for w in text):
            return name
    return Path(text[0]).name if text else "?"


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _folder(root: Path) -> tuple[int, int]:
    """(files, bytes) under `root`."""
    files = size = 0
    for folder, _, names in os.walk(root):
        for name in names:
            try:
                size += os.lstat(os.path.join(folder, name)).st_size
                files += 1
            except OSError:
                pass
    return files, size


def sample(settings: Settings, tmp: Path) -> dict[str, Any]:
    import redis

    raw = settings.warehouse.dir / "raw"
    files, size = _folder(tmp)
    prefect_db = sum(p.stat().st_size for p in tmp.glob("state/**/*.db*") if p.is_file())
    try:
        client = redis.Redis.from_url(str(settings.redis.url))
        redis_mb = client.info("memory")["used_memory"] / 2**20
        redis_keys = client.dbsize()
        client.close()
    except redis.RedisError:
        redis_mb, redis_keys = None, None
    rss: dict[str, float] = {}
    for pid, name in _descendants(os.getpid()):
        rss[name] = rss.get(name, 0.0) + _rss_mb(pid)
    return {
        "at": time.time(),
        "raw_files": sum(1 for _ in raw.glob("*/*/*.parquet")),
        "files": files,
        "disk_mb": round(size / 2**20, 1),
        "prefect_db_mb": round(prefect_db / 2**20, 1),
        "redis_mb": None if redis_mb is None else round(redis_mb, 1),
        "redis_keys": redis_keys,
        "rss_mb": {name: round(mb) for name, mb in sorted(rss.items())},
    }


@dataclass
class ApiLoad:
    """Light load on the offer API: a lookup of a random pool user `rate` times a second."""

    port: int
    users: list[int]
    latencies: list[tuple[float, float, int]] = field(default_factory=list)

    def lookup(self) -> None:
        user = random.choice(self.users)
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/users/{user}/offers", headers={"X-API-Key": API_KEY}
        )
        began = time.time()
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        self.latencies.append((began, time.time() - began, status))


@dataclass
class QualityScans:
    """`backbeat quality` one after another: (start, seconds, exit code) of each."""

    env: dict[str, str]
    logs: Path
    runs: list[tuple[float, float, int]] = field(default_factory=list)

    def scan(self) -> None:
        began = time.time()
        with (self.logs / "quality.log").open("ab") as out:
            code = subprocess.call(
                [sys.executable, "-m", "backbeat", "quality"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.runs.append((began, time.time() - began, code))


# -- reading the run back --------------------------------------------------------------------


def build_log(warehouse_dir: Path) -> list[tuple[float, float, float, dict[str, float]]]:
    """Every finished build: (until, finished, seconds, seconds per model), by until. Read
    from the build records and the Parquet they are folded into (`vault.build_log` has no
    per-model times)."""
    folder = warehouse_dir / "builds"
    found: dict[float, tuple[float, float, float, dict[str, float]]] = {}

    def add(until: datetime, finished: datetime, runs: list[dict[str, Any]]) -> None:
        models = {run["model"]: float(run["seconds"]) for run in runs}
        key = until.timestamp()
        found[key] = (key, finished.timestamp(), sum(models.values()), models)

    if any((folder / "log").glob("*.parquet")):
        with duckdb.connect() as connection:
            rows = connection.execute(
                'SELECT "until", finished_at, runs FROM read_parquet(?)',
                [str(folder / "log" / "*.parquet")],
            ).fetchall()
        for until, finished, runs in rows:
            add(until, finished, json.loads(runs))
    for record in folder.glob("*.json"):
        try:
            document = json.loads(record.read_text())
        except (OSError, ValueError):  # folded away, or being written, as we read
            continue
        add(
            datetime.fromisoformat(document["window"]["until"]),
            datetime.fromisoformat(document["finished_at"]),
            document["runs"],
        )
    return sorted(found.values())


def latency_by_minute(
    warehouse: DuckDBWarehouse, clock: Clock, builds: list[tuple[float, float, float, Any]]
) -> dict[int, dict[str, float]]:
    """Per minute of sending: event -> raw and event -> mart p95 (s) of the records sent in it.
    A record reached the marts when the first build whose `until` reached its `_ingested_at`
    finished."""
    connection = warehouse.connect()
    try:
        connection.execute("CREATE TEMP TABLE builds (until DOUBLE, finished DOUBLE)")
        connection.executemany(
            "INSERT INTO builds VALUES (?, ?)", [(u, f) for u, f, _, _ in builds]
        )
        union = " UNION ALL ".join(
            f"SELECT {clock.sql_sent('ts')} AS sent, "
            f"EPOCH_US(_ingested_at) / 1e6 AS ingested FROM raw.{table}"
            for table in EVENT_TABLES
        )
        rows = connection.execute(
            f"""
            WITH sent AS ({union})
            SELECT CAST(FLOOR((sent - {clock.began}) / 60) AS INTEGER) AS minute,
                   COUNT(*),
                   QUANTILE_CONT(ingested - sent, 0.95),
                   QUANTILE_CONT(builds.finished - sent, 0.95),
                   COUNT(builds.finished)
            FROM sent ASOF LEFT JOIN builds ON sent.ingested <= builds.until
            GROUP BY minute ORDER BY minute
            """
        ).fetchall()
    finally:
        connection.close()
    return {
        int(m): {"rows": n, "raw_p95": raw, "mart_p95": mart, "in_marts": reached}
        for m, n, raw, mart, reached in rows
    }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3)


def series(
    began: float,
    latency: dict[int, dict[str, float]],
    builds: list[tuple[float, float, float, Any]],
    samples: list[dict[str, Any]],
    api: list[tuple[float, float, int]],
    scans: list[tuple[float, float, int]],
) -> list[dict[str, Any]]:
    """One row a minute: everything measured, bucketed by when it happened."""

    def minute(moment: float) -> int:
        return int((moment - began) // 60)

    last = max([*latency, *(minute(s["at"]) for s in samples), 0])
    rows = []
    for m in range(0, last + 1):
        in_minute = [b for b in builds if minute(b[1] - b[2]) == m]
        sampled = [s for s in samples if minute(s["at"]) == m]
        lookups = [seconds for at, seconds, _ in api if minute(at) == m]
        at = latency.get(m, {})
        newest = sampled[-1] if sampled else {}
        rows.append(
            {
                "minute": m,
                "rows": at.get("rows"),
                "event_to_raw_p95_s": _round(at.get("raw_p95")),
                "event_to_mart_p95_s": _round(at.get("mart_p95")),
                "builds": len(in_minute),
                "build_median_s": _median([b[2] for b in in_minute]),
                "api_p95_ms": None if not lookups else round(1000 * (_p95(lookups) or 0), 1),
                "quality_scan_s": _median([s for at_, s, _ in scans if minute(at_) == m]),
                **{k: v for k, v in newest.items() if k not in ("at", "rss_mb")},
                "rss_mb": newest.get("rss_mb"),
            }
        )
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def model_growth(
    builds: list[tuple[float, float, float, dict[str, float]]],
    began: float,
    first: tuple[int, int],
    last: tuple[int, int],
) -> list[dict[str, Any]]:
    """Median seconds per model in two spans of minutes, the models that grew most first."""

    def span(bounds: tuple[int, int]) -> dict[str, float]:
        lo, hi = began + bounds[0] * 60, began + bounds[1] * 60
        chosen = [b[3] for b in builds if lo <= b[1] - b[2] < hi]
        names = {name for models in chosen for name in models}
        return {n: statistics.median(m.get(n, 0.0) for m in chosen) for n in names}

    before, after = span(first), span(last)
    rows = [
        {"model": n, "first_s": round(before.get(n, 0.0), 3), "last_s": round(after.get(n, 0.0), 3)}
        for n in sorted(set(before) | set(after))
    ]
    return sorted(rows, key=lambda r: r["last_s"] - r["first_s"], reverse=True)


def compare_with_rebuild(settings: Settings, tmp: Path) -> dict[str, Any]:
    """Build the same raw rows once from nothing; every vault and mart table compared (rows
    in one and not the other, both ways), the columns that name a build left out; satellites
    and the PIT as the history they tell (HISTORY_OF)."""
    rebuilt_dir = tmp / "rebuilt"
    shutil.copytree(settings.warehouse.dir / "raw", rebuilt_dir / "raw")
    rebuilt = with_overrides(
        settings, warehouse={"dir": rebuilt_dir, "build_max_window_minutes": 10_000_000}
    )
    began = time.monotonic()
    open_build(rebuilt).run()
    seconds = time.monotonic() - began
    live, fresh = (DuckDBWarehouse(d).connect() for d in (settings.warehouse.dir, rebuilt_dir))
    differing = {}
    tables = [
        (layer, name)
        for layer, name in live.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('vault', 'marts') ORDER BY 1, 2"
        ).fetchall()
        if name not in ("build_log", "pipeline_freshness")  # about the builds themselves
    ]
    for layer, name in tables:
        columns = [
            column
            for (column,) in live.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [layer, name],
            ).fetchall()
            if column not in BUILD_COLUMNS
        ]
        select = HISTORY_OF.get(name, f"SELECT {', '.join(columns)} FROM {layer}.{name}")
        ours, theirs = (sorted(map(repr, c.execute(select).fetchall())) for c in (live, fresh))
        if ours != theirs:
            differing[f"{layer}.{name}"] = {
                "rows": len(ours),
                "rebuilt_rows": len(theirs),
                "only_live": len(set(ours) - set(theirs)),
                "only_rebuilt": len(set(theirs) - set(ours)),
            }
    live.close()
    fresh.close()
    return {"tables": len(tables), "differing": differing, "rebuild_s": round(seconds, 1)}


def _history(table: str, parent: str, payload: str) -> str:
    """A satellite's rows that change something: a row whose payload equals the one before
    it in event time is left out. An insert-only satellite that read a later event first
    keeps it when the earlier one arrives (the later row then repeats it); a full rebuild
    has only the earlier one. Both tell the same history."""
    return (
        f"SELECT {parent}, effective_from, {payload} FROM (SELECT *, LAG(hashdiff) OVER "
        f"(PARTITION BY {parent} ORDER BY effective_from) AS previous FROM vault.{table}) "
        "WHERE previous IS DISTINCT FROM hashdiff"
    )


#: How tables whose rows may differ by load order while telling the same story are compared.
HISTORY_OF = {
    "sat_user_profile": _history(
        "sat_user_profile", "user_hk", "first_name, last_name, gender, registered_at"
    ),
    "eff_sat_user_plan": _history("eff_sat_user_plan", "user_hk", "level"),
    "sat_song": _history("sat_song", "song_hk", "hashdiff"),
    # The PIT by the payloads its pointers reach, not the pointers' own times.
    "pit_user": (
        "SELECT pit.user_hk, pit.snapshot_date, pit.level, profile.hashdiff "
        "FROM vault.pit_user AS pit LEFT JOIN vault.sat_user_profile AS profile "
        "ON profile.user_hk = pit.user_hk AND profile.effective_from = pit.profile_effective_from"
    ),
}


# -- the run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace, base: Settings, tmp: Path) -> dict[str, Any]:
    speed = args.speed if args.mode == "week" else 1.0
    seconds = args.minutes * 60
    api_port = free_port()
    settings = with_overrides(
        base,
        warehouse={"dir": tmp / "warehouse"},
        loader={"recovery_dir": tmp / "recovery", "metrics_port": 0},
        sessions={"recovery_dir": tmp / "sessions-recovery", "metrics_port": 0},
        api={"port": api_port, "keys": [API_KEY]},
        events={"max_ahead_minutes": 60.0},
    )
    env = {
        **os.environ,
        **settings_environment(settings),
        "PREFECT_API_URL": str(settings.prefect.api_url),
    }
    pool = simulated_records(
        min(args.rate * seconds, args.rate * args.pool_minutes * 60), args.users
    )
    users = sorted({int(u) for _, _, r in pool if (u := getattr(r, "user_id", None))})
    print(f"{len(pool):,} records in the pool, {len(users):,} users", flush=True)

    processes = Processes(env, tmp / "logs")
    processes.start("loader", "load", "-w", "1")
    processes.start("sessions", "sessions")
    processes.start("api", "api")
    processes.start("builds", "build", "--continuous", "--every", str(args.every))
    time.sleep(10)
    processes.check()

    now = time.time() + 1
    start_ms = int(now * 1000) - (int(seconds * 1000 * speed) if speed != 1 else 0)
    clock = Clock(now, start_ms, speed)
    producer = Producer(settings, pool, args.rate, seconds, clock)
    api = ApiLoad(api_port, users)
    scans = QualityScans(env, tmp / "logs")
    samples: list[dict[str, Any]] = []
    workers = [
        Every(1 / args.api_rate, api.lookup, "api-load"),
        Every(args.quality_every, scans.scan, "quality"),
        Every(args.sample, lambda: samples.append(sample(settings, tmp)), "sampler"),
    ]
    pause: dict[str, float] = {}
    producer.start()
    for worker in workers:
        worker.start()
    try:
        while producer.is_alive():
            producer.join(timeout=5)
            processes.check()
            elapsed = time.time() - clock.began
            if args.pause and not pause and elapsed >= seconds / 2:
                print(f"builds paused for {args.pause} s", flush=True)
                processes.stop("builds")
                pause["from"] = time.time()
            if "from" in pause and "to" not in pause and time.time() - pause["from"] >= args.pause:
                processes.start("builds", "build", "--continuous", "--every", str(args.every))
                pause["to"] = time.time()
                print("builds resumed", flush=True)
        print(f"produced {producer.sent:,} records at {producer.achieved:,.0f}/s", flush=True)
        warehouse = DuckDBWarehouse(settings.warehouse.dir)
        deadline = time.monotonic() + 900
        while True:  # every record in raw, and a finished build that read the last one
            union = " UNION ALL ".join(f"SELECT _ingested_at FROM raw.{t}" for t in EVENT_TABLES)
            count, newest = warehouse.query(
                f"SELECT COUNT(*), EPOCH_US(MAX(_ingested_at)) / 1e6 FROM ({union})"
            ).rows[0]
            builds = build_log(settings.warehouse.dir)
            if count >= producer.sent and builds and builds[-1][0] >= newest - 1e-6:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{count:,} of {producer.sent:,} records in raw after 15 minutes")
            time.sleep(2)
    finally:
        for worker in workers:
            worker.done.set()
        processes.stop_all()
    builds = build_log(settings.warehouse.dir)
    latency = latency_by_minute(warehouse, clock, builds)
    rows = series(clock.began, latency, builds, samples, api.latencies, scans.runs)
    minutes = args.minutes
    # After warm-up: the first ten minutes against the last ten (halves of a short run).
    first = (min(2, minutes // 4), min(12, minutes // 2))
    last = (max(minutes - 10, minutes // 2), minutes)
    figures: dict[str, Any] = {
        "mode": args.mode,
        "rate": args.rate,
        "minutes": minutes,
        "event_time_speed": speed,
        "cadence_s": args.every,
        "produced_rate": round(producer.achieved),
        "records_sent": producer.sent,
        "records_in_raw": int(count),
        "api_errors": sum(1 for *_, status in api.latencies if status != 200),
        "api_lookups": len(api.latencies),
        "quality_scans": len(scans.runs),
        "quality_failed": sum(1 for *_, code in scans.runs if code != 0),
        "first_vs_last": compare_spans(rows, first, last),
        "model_growth": model_growth(builds, clock.began, first, last)[:12],
        "series": rows,
    }
    if pause:
        figures["pause"] = catch_up(pause, builds, args.pause)
    if args.mode == "week":
        figures["rebuild"] = compare_with_rebuild(settings, tmp)
    return figures


def catch_up(
    pause: dict[str, float], builds: list[tuple[float, float, float, Any]], paused_s: float
) -> dict[str, Any]:
    """From the builds' restart to the end of the first build that read up to the restart."""
    resumed = pause["to"]
    caught = next((f for u, f, _, _ in builds if u >= resumed and f >= resumed), None)
    seconds = None if caught is None else round(caught - resumed, 1)
    return {
        "paused_s": paused_s,
        "catch_up_s": seconds,
        "catch_up_over_pause": None if seconds is None else round(seconds / paused_s, 2),
    }


def compare_spans(
    rows: list[dict[str, Any]], first: tuple[int, int], last: tuple[int, int]
) -> dict[str, Any]:
    """Each figure's median over the first and the last span of minutes, and their ratio."""

    def within(bounds: tuple[int, int]) -> list[dict[str, Any]]:
        return [r for r in rows if bounds[0] <= r["minute"] < bounds[1]]

    def median(key: str, bounds: tuple[int, int]) -> float | None:
        return _median([r[key] for r in within(bounds) if r.get(key) is not None])

    figures: dict[str, Any] = {}
    for key in (
        "event_to_mart_p95_s",
        "event_to_raw_p95_s",
        "build_median_s",
        "api_p95_ms",
        "raw_files",
        "prefect_db_mb",
        "redis_mb",
        "files",
        "disk_mb",
    ):
        a, b = median(key, first), median(key, last)
        figures[key] = {"first": a, "last": b, "ratio": round(b / a, 2) if a and b else None}
    a, b = (
        _median([sum(r["rss_mb"].values()) for r in within(s) if r["rss_mb"]])
        for s in (first, last)
    )
    figures["rss_total_mb"] = {"first": a, "last": b, "ratio": round(b / a, 2) if a and b else None}
    figures["spans"] = {"first": list(first), "last": list(last)}
    return figures


PANELS = (
    ("event_to_mart_p95_s", "event -> mart p95 (s)"),
    ("build_median_s", "build, median (s)"),
    ("raw_files", "raw Parquet files"),
    ("prefect_db_mb", "Prefect DB (MB)"),
    ("redis_mb", "Redis used (MB)"),
    ("rss_total_mb", "RSS, all processes (MB)"),
    ("quality_scan_s", "quality scan (s)"),
    ("api_p95_ms", "API p95 (ms)"),
)


def chart(rows: list[dict[str, Any]], title: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for row in rows:
        row["rss_total_mb"] = sum(row["rss_mb"].values()) if row.get("rss_mb") else None
    figure, axes = plt.subplots(4, 2, figsize=(12, 10), sharex=True)
    for axis, (key, label) in zip(axes.flat, PANELS, strict=True):
        points = [(r["minute"], r[key]) for r in rows if r.get(key) is not None]
        axis.plot([m for m, _ in points], [v for _, v in points], marker=".", markersize=3)
        axis.set_ylabel(label)
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
    for axis in axes[-1]:
        axis.set_xlabel("minute of the run")
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    for row in rows:
        row.pop("rss_total_mb", None)
    return path


@contextmanager
def _run_folder(kept: Path | None) -> Iterator[Path]:
    if kept is None:
        with tempfile.TemporaryDirectory(prefix="soak-") as directory:
            yield Path(directory)
    else:
        kept.mkdir(parents=True)
        yield kept.resolve()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=("steady", "week"), default="steady")
    parser.add_argument("--rate", type=int, default=5_000, help="records/s sent")
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--speed", type=float, default=200.0, help="week: event time per second")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds the builds pause midway")
    parser.add_argument("--every", type=float, default=15.0, help="build cadence, seconds")
    parser.add_argument("--quality-every", type=float, default=300.0, help="seconds")
    parser.add_argument("--api-rate", type=float, default=20.0, help="lookups/s")
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--pool-minutes", type=int, default=10, help="records made up front")
    parser.add_argument("--label", default="", help="a name for the chart's title (a commit)")
    parser.add_argument("--keep", type=Path, help="run in this (new) folder and keep it")
    args = parser.parse_args()
    # A SIGTERM stops the run as Ctrl-C does: the processes and the stack stop with it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with _run_folder(args.keep) as tmp:
        base = private_stack_settings(get_settings(), tmp / "state")
        stack.up(base, SERVICES)
        try:
            figures = run(args, base, tmp)
        finally:
            stack.down(base, SERVICES)
    print("minute  e->raw p95  e->mart p95  builds  build med  raw files  prefect MB  redis MB")
    for row in figures["series"]:
        print(
            f"{row['minute']:>6}  {row['event_to_raw_p95_s'] or '-':>10}  "
            f"{row['event_to_mart_p95_s'] or '-':>11}  {row['builds']:>6}  "
            f"{row['build_median_s'] or '-':>9}  {row.get('raw_files') or '-':>9}  "
            f"{row.get('prefect_db_mb') or '-':>10}  {row.get('redis_mb') or '-':>8}"
        )
    results = write_results(f"soak-{args.mode}", figures)
    title = f"soak {args.mode}: {args.rate:,} records/s, {args.minutes} min {args.label}".strip()
    print(f"chart: {chart(figures['series'], title, results.with_suffix('.png'))}")


if __name__ == "__main__":
    main()
