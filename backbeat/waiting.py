"""Waiting for something to happen: a condition polled until it holds or a bound passes.

One helper for the demo and the tests alike. A bound here is a deadline for a broken run,
never a measure of speed: callers give one generous enough for the slowest machine that is
still working, and benchmarks (bench/) measure how long things take.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import httpx

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    """The condition did not hold within the bound; the message says what was awaited."""


def wait_until(
    condition: Callable[[], T],
    what: str,
    timeout_s: float,
    interval_s: float = 0.2,
) -> T:
    """Poll `condition` until it returns something truthy, and return that.

    An exception from `condition` (a process found dead, say) ends the wait at once.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(interval_s)


def answers(url: str) -> bool:
    """True when `url` answers 200 (a refused or slow connection is not an answer yet)."""
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until_answers(
    url: str, what: str, timeout_s: float, alive: Callable[[], None] | None = None
) -> None:
    """Until `url` answers 200. `alive` is called first each time: it raises when the server
    being waited for has exited, so a crash is reported at once, not at the bound."""

    def check() -> bool:
        if alive is not None:
            alive()
        return answers(url)

    wait_until(check, f"{what} answering at {url}", timeout_s)
