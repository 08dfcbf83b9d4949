"""What every dataflow process does at start: stop cleanly on signals, serve its metrics."""

from __future__ import annotations

import os
import signal
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
