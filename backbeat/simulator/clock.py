"""eventsim's timing model as pure functions on epoch seconds (UTC).

- Within a session: exponential gaps in whole seconds with a per-user mean, +1 s for 3xx
  states, and songs that play to their end.
- Between sessions: an exponential gap plus `session-gap`, then the daily warp, then
  weekend rejection; a rejected start restarts the search from the rejected candidate.
"""

from __future__ import annotations

import math
from random import Random

SECONDS_PER_DAY = 86400
_THREE_HOURS = 3 * 3600
_SQRT_E = math.sqrt(math.e)


def per_user_mean(mean: float, rng: Random) -> float:
    """A user's own mean: log-normal around `mean` (`mean * exp(N(0,1)) / sqrt(e)`)."""
    return mean * math.exp(rng.gauss(0.0, 1.0)) / _SQRT_E


def exponential_seconds(mean: float, rng: Random) -> int:
    """An exponential gap truncated to whole seconds (often 0, as in eventsim)."""
    return int(-mean * math.log(1.0 - rng.random()))


def warp(t: int, damping: float) -> int:
    """Shift a session start along the daily cycle: most starts near 15:00, fewest near 03:00."""
    phase = 2 * math.pi * ((t % SECONDS_PER_DAY) - _THREE_HOURS) / SECONDS_PER_DAY
    return t + int(damping * SECONDS_PER_DAY * math.sin(phase))


def weekday(t: int) -> int:
    """Monday 0 ... Sunday 6 (1970-01-01 was a Thursday)."""
    return (t // SECONDS_PER_DAY + 3) % 7


def weekend_damping(t: int, damping: float, offset_min: float, scale_min: float) -> float:
    """Share of session starts rejected at `t`: `damping` on Saturdays and Sundays, 0 on
    weekdays, changing linearly over `scale_min` minutes that begin `offset_min` minutes
    before the midnight where the kind of day changes. (eventsim also damps US holidays
    through jollyday; Backbeat models weekends only.)"""

    def day_value(moment: int) -> float:
        return damping if weekday(moment) >= 5 else 0.0

    offset, scale = offset_min * 60, scale_min * 60
    day_start = t - t % SECONDS_PER_DAY
    for midnight in (day_start + SECONDS_PER_DAY, day_start):
        ramp_start = midnight - offset
        if scale > 0 and ramp_start <= t < ramp_start + scale:
            before, after = day_value(midnight - 1), day_value(midnight)
            return before + (after - before) * (t - ramp_start) / scale
    return day_value(t)


class SessionClock:
    """When a user's sessions start, given the config's timing parameters."""

    def __init__(
        self,
        session_gap: float,
        damping: float,
        weekend_damping: float,
        weekend_offset_min: float,
        weekend_scale_min: float,
    ) -> None:
        self.session_gap = int(session_gap)
        self.damping = damping
        self.weekend = (weekend_damping, weekend_offset_min, weekend_scale_min)

    def _candidate(self, last: int, beta: float, rng: Random) -> int:
        while True:
            candidate = warp(last + exponential_seconds(beta, rng) + self.session_gap, self.damping)
            if candidate >= last:
                return candidate

    def next_start(self, last: int, beta: float, rng: Random) -> int:
        """The next session's start after a session whose last event was at `last`."""
        while True:
            candidate = self._candidate(last, beta, rng)
            if rng.random() >= weekend_damping(candidate, *self.weekend):
                return candidate
            last = candidate

    def first_start(self, start: int, beta: float, rng: Random) -> int:
        """A steady-state first session: warm up from `start - 2*beta` to past `start - beta`.

        Some first sessions therefore begin before `start`; they are simulated, not written.
        """
        t = int(start - 2 * beta)
        while t < start - beta:
            t = self._candidate(t, beta, rng)
        return t
