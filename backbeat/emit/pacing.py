"""Holding events back so simulated time runs at a chosen speed against the wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable


class Pacer:
    """Maps event time to wall time: `speed` simulated seconds per real second.

    Events before `anchor_ms` (e.g. the past, in continuous mode) are released at once;
    later ones wait until the wall clock catches up. speed=None releases everything at once.
    `sleep` may return early (a stop event's `wait`): the caller checks why.
    """

    def __init__(
        self,
        speed: float | None,
        anchor_ms: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be positive, got {speed!r}")
        self.speed = speed
        self.anchor_ms = anchor_ms
        self._clock = clock
        self._sleep = sleep
        self._wall_start = clock()

    def due_in(self, event_ms: int) -> float:
        """Seconds to wait before releasing an event at `event_ms` (0 if due)."""
        if self.speed is None or event_ms <= self.anchor_ms:
            return 0.0
        target = self._wall_start + (event_ms - self.anchor_ms) / 1000 / self.speed
        return max(0.0, target - self._clock())

    def wait_for(self, event_ms: int) -> float:
        """Sleep until `event_ms` is due; returns the seconds slept."""
        delay = self.due_in(event_ms)
        if delay > 0:
            self._sleep(delay)
        return delay
