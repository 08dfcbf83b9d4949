"""How long a test waits for something: one generous bound for every test.

Tests poll for a condition (backbeat.waiting) and never assert how fast it came: the bound
only ends a run that is broken, so it is minutes, enough for the slowest machine that still
works. How long things take is measured in bench/.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from backbeat.waiting import wait_until

T = TypeVar("T")

#: The bound on every wait in the tests, and the timeout of every HTTP request they make.
PATIENCE_S = 300.0


def eventually(condition: Callable[[], T], what: str) -> T:
    """Poll `condition` until it is truthy (and return it); fail naming `what` past the bound."""
    return wait_until(condition, what, PATIENCE_S)
