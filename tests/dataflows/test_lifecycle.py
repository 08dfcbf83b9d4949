"""What every dataflow process does at start that the dataflow tests do not see otherwise."""

from __future__ import annotations

import gc
import subprocess
import sys

from dataflows.lifecycle import relax_garbage_collection


def test_a_dataflow_process_collects_garbage_less_often_its_host_does_not() -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "bytewax.run", "tests.dataflows.gc_probe:flow"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "gc (100000, 50, 100)" in ran.stdout, ran.stdout + ran.stderr

    before = gc.get_threshold()
    relax_garbage_collection()  # embedded (here: pytest's process): nothing changes
    assert gc.get_threshold() == before
