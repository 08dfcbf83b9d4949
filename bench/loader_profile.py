"""Where the loader spends its time per record: a py-spy profile of `backbeat load -w 1`
draining N simulated records from a private Kafka into DuckDB raw (the records of
loader_throughput.py), summarised by function: the share of samples in the dataflow
process each function takes itself, and the share under Backbeat's own functions.

Run it before and after a change to the loader to see what moved (py-spy comes with the
dev dependencies; it samples from outside, so the profile costs the loader nothing):

    uv run python bench/loader_profile.py [--records 600000] [--top 25]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TypedDict

from _results import write_results
from loader_throughput import records_for

from backbeat import stack
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.stack.private import private_stack_settings

OURS = ("backbeat/", "dataflows/", "offers/")


class Profile(TypedDict):
    samples: int
    self_percent: list[tuple[float, str]]
    inclusive_percent: list[tuple[float, str]]


def summarise(raw: Path, top: int) -> Profile:
    """py-spy's raw output (a stack and its sample count per line) as shares of the
    dataflow process's samples: by function itself, and under Backbeat's functions."""
    itself: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        frames = stack_text.split(";")
        if not any("bytewax" in f or "dataflows" in f for f in frames):
            continue  # the launching `backbeat load`, which only waits
        samples = int(count)
        total += samples
        itself[frames[-1]] += samples
        for frame in set(frames):
            if any(part in frame for part in OURS):
                under[frame] += samples

    def shares(counter: Counter[str]) -> list[tuple[float, str]]:
        return [(round(100 * n / total, 1), name) for name, n in counter.most_common(top)]

    return {"samples": total, "self_percent": shares(itself), "inclusive_percent": shares(under)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=600_000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("py-spy is missing: `uv sync` installs it with the dev dependencies")
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        settings = with_overrides(
            private_stack_settings(get_settings(), tmp / "state"),
            warehouse={"dir": tmp / "warehouse"},
            loader={"recovery_dir": tmp / "recovery", "metrics_port": 0},
        )
        stack.up(settings, ["kafka"])
        try:
            sink = KafkaProducer(settings.kafka)
            for topic, key, value in records_for(args.records, 1_704_067_200_000):
                sink.write(topic, key, value)
            sink.close()
            raw = tmp / "profile.txt"
            record = [spy, "record", "--subprocesses", "-r", "200", "--format", "raw"]
            load = [sys.executable, "-m", "backbeat", "load", "-w", "1", "--exit-when-idle", "1"]
            began = time.monotonic()
            subprocess.run(
                [*record, "-o", str(raw), "--", *load],
                env={**os.environ, **settings_environment(settings)},
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            seconds = time.monotonic() - began
            summary = summarise(raw, args.top)
            figures = {"records": args.records, "seconds": round(seconds, 1), **summary}
        finally:
            stack.down(settings, ["kafka"])
    print(f"{args.records:,} records in {seconds:.1f} s (start-up included), profiled:")
    print(f"{summary['samples']:,} samples in the dataflow process; by function itself:")
    for share, name in summary["self_percent"]:
        print(f"  {share:5.1f}%  {name}")
    print("under Backbeat's functions:")
    for share, name in summary["inclusive_percent"]:
        print(f"  {share:5.1f}%  {name}")
    print(f"results: {write_results('loader_profile', figures)}")


if __name__ == "__main__":
    main()
