"""A dataflow that reports its process' garbage-collection thresholds (test_lifecycle.py)."""

from __future__ import annotations

import gc

import bytewax.operators as op
from bytewax.connectors.stdio import StdOutSink
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSource

from dataflows.lifecycle import relax_garbage_collection


def flow() -> Dataflow:
    relax_garbage_collection()
    dataflow = Dataflow("gc_probe")
    started = op.input("start", dataflow, TestingSource([0]))
    op.output(
        "thresholds", op.map("read", started, lambda _: f"gc {gc.get_threshold()}"), StdOutSink()
    )
    return dataflow
