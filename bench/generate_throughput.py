"""Simulator throughput on one core, to files and into Kafka, and peak memory for 1M users.

- file: 10k users over 7 simulated days into eventsim's four files (a temp directory);
- kafka: the same run into a private Apache Kafka started for the benchmark;
- memory: 1M users over one simulated hour in a child process (peak RSS; most of that run's
  time is eventsim's warm-up: sessions before the start are simulated but not written).

The generator is pinned to one CPU; the Kafka broker is started before pinning and runs beside
it, and a short warm-up run (JIT of the broker, the idempotent producer's id) precedes the
measured one. Events/s counts simulated events (page views), eventsim's own measure;
records/s counts all four topics. Reference, not run here: eventsim reports
115-147k events/s on the JVM and streamify ran 1M users in a 5.5 GB container.

    uv run python bench/generate_throughput.py [--users 10000] [--days 7] [--memory-users 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import write_results

from backbeat import stack
from backbeat.emit.pacing import Pacer
from backbeat.emit.runs import run_simulation
from backbeat.emit.sinks import DirectorySink, EventSink
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import get_settings
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams, Simulator
from backbeat.stack.private import private_stack_settings

START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z, a Monday
DAY_MS = 86_400_000


def _simulator(users: int, days: float) -> Simulator:
    params = SimulationParams(
        start_ms=START_MS, end_ms=START_MS + int(days * DAY_MS), n_users=users, seed=1
    )
    return build_simulator(SimulatorOptions(params, catalogue_size=20_000, catalogue_seed=1))


def _measure(users: int, days: float, sink: EventSink) -> dict[str, float]:
    simulator = _simulator(users, days)  # set-up (tables, users) is outside the timing
    began = time.perf_counter()
    stats = run_simulation(simulator, sink, Pacer(None, 0))
    seconds = time.perf_counter() - began
    return {
        "seconds": round(seconds, 2),
        "events": stats.page_views,
        "records": stats.records,
        "events_per_s": round(stats.page_views / seconds),
        "records_per_s": round(stats.records / seconds),
    }


def _memory(users: int) -> dict[str, float]:
    code = (
        "import sys, time; sys.path.insert(0, 'bench');"
        "from generate_throughput import _simulator;"
        f"t = time.perf_counter(); s = _simulator({users}, 1 / 24); n = sum(1 for _ in s.events());"
        "print(n, s.users, round(time.perf_counter() - t, 1))"
    )
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "users": int(out[1]),
        "records_in_first_hour": int(out[0]),
        "seconds": round(time.perf_counter() - began, 1),
        "peak_rss_mib": round(peak_mib),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--memory-users", type=int, default=1_000_000)
    args = parser.parse_args()

    figures: dict[str, object] = {"users": args.users, "days": args.days}
    with tempfile.TemporaryDirectory() as tmp:
        settings = private_stack_settings(get_settings(), Path(tmp) / "state")
        stack.up(settings, ["kafka"])  # before pinning: the broker must not share our one CPU
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        try:
            figures["file"] = _measure(args.users, args.days, DirectorySink(Path(tmp) / "out"))
            print(f"file : {figures['file']}")
            _measure(args.users // 5, 2, KafkaProducer(settings.kafka))  # warm-up, not reported
            figures["kafka"] = _measure(args.users, args.days, KafkaProducer(settings.kafka))
            print(f"kafka: {figures['kafka']}")
        finally:
            stack.down(settings, ["kafka"])

    figures["memory"] = _memory(args.memory_users)
    print(f"memory: {figures['memory']}")
    write_results("generate_throughput", figures)


if __name__ == "__main__":
    main()
