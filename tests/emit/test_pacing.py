from __future__ import annotations

import pytest

from backbeat.emit.pacing import Pacer


class FakeClock:
    """A clock the test moves by hand; sleeping advances it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_speed_maps_event_time_to_wall_time() -> None:
    clock = FakeClock()
    pacer = Pacer(speed=60.0, anchor_ms=1_000_000, clock=clock, sleep=clock.sleep)
    assert pacer.wait_for(1_000_000) == 0
    assert pacer.wait_for(1_000_000 + 60_000) == pytest.approx(1.0)  # a simulated minute = 1 s
    assert pacer.wait_for(1_000_000 + 30_000) == 0  # already due


def test_events_before_the_anchor_are_released_at_once() -> None:
    clock = FakeClock()
    pacer = Pacer(speed=1.0, anchor_ms=5_000, clock=clock, sleep=clock.sleep)
    assert pacer.wait_for(0) == 0 and pacer.wait_for(4_999) == 0
    assert pacer.wait_for(7_000) == pytest.approx(2.0)


def test_no_speed_means_no_waiting() -> None:
    assert Pacer(None, 0).due_in(10**15) == 0


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="speed must be positive, got 0"):
        Pacer(0, 0)
