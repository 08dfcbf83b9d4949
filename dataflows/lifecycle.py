"""What a dataflow process does at start: stop cleanly on signals, serve its metrics, and
(the loader, where it was measured) collect garbage at a pace that suits a stream."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from types import FrameType

from prometheus_client import start_http_server


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM/SIGINT set `stop`: sources end, open state is flushed, the dataflow exits.
    (Only the main thread may install handlers; an embedded dataflow keeps the caller's.)"""
    if threading.current_thread() is not threading.main_thread():
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def metrics_port(base: int) -> int:
    """Process k of a multi-process dataflow serves /metrics on base + k (one port each)."""
    return base + int(os.environ.get("BYTEWAX_PROCESS_ID") or 0)


def serve_metrics(base: int) -> None:
    """Prometheus /metrics on 127.0.0.1 (0: off)."""
    if base:
        start_http_server(metrics_port(base), addr="127.0.0.1")


def relax_garbage_collection() -> None:
    """Run CPython's cycle collector every 100,000 allocations rather than every 700.

    A dataflow allocates millions of short-lived objects without cycles (decoded records,
    rows), which reference counting frees; the default threshold made the collector walk them
    anyway: 19-22% of the loader's CPU in a py-spy profile, and the loader drained 1.28M
    records at 71,600-77,700 records/s with this against 61,400-61,600 without (2 cores,
    alternating runs). Objects made at start-up are frozen out of collection altogether.
    Only in a dataflow's own process (`python -m bytewax.run`): an embedded dataflow leaves
    its host's collector alone.
    """
    main = getattr(sys.modules.get("__main__"), "__spec__", None)
    if main is None or main.name != "bytewax.run":
        return
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
