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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _profiles import print_profile, py_spy, summarise
from _results import write_results
from loader_throughput import records_for

from backbeat import stack
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.stack.private import private_stack_settings


def in_dataflow(frames: list[str]) -> bool:
    """A sample of the dataflow process, not of the launching `backbeat load`, which waits."""
    return any("bytewax" in f or "dataflows" in f for f in frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=600_000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    spy = py_spy()
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
            summary = summarise(raw, args.top, in_dataflow)
            figures = {"records": args.records, "seconds": round(seconds, 1), **summary}
        finally:
            stack.down(settings, ["kafka"])
    print(f"{args.records:,} records in {seconds:.1f} s (start-up included), profiled:")
    print_profile(summary, "the dataflow process")
    print(f"results: {write_results('loader_profile', figures)}")


if __name__ == "__main__":
    main()
