from __future__ import annotations

import math
from datetime import UTC, datetime
from random import Random

import pytest

from backbeat.simulator.clock import (
    SessionClock,
    exponential_seconds,
    per_user_mean,
    warp,
    weekday,
    weekend_damping,
)


def _t(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_weekday_of_known_dates() -> None:
    assert weekday(_t("2024-01-01T12:00:00")) == 0  # Monday
    assert weekday(_t("2024-01-06T00:00:00")) == 5  # Saturday
    assert weekday(_t("2024-01-07T23:59:59")) == 6  # Sunday


def test_warp_is_zero_at_03_and_15_and_largest_between() -> None:
    assert warp(_t("2024-01-02T03:00:00"), 0.09375) == _t("2024-01-02T03:00:00")
    assert warp(_t("2024-01-02T15:00:00"), 0.09375) == _t("2024-01-02T15:00:00")
    assert warp(_t("2024-01-02T09:00:00"), 0.09375) - _t("2024-01-02T09:00:00") == 8100
    assert warp(_t("2024-01-02T21:00:00"), 0.09375) - _t("2024-01-02T21:00:00") == -8100


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2024-01-03T12:00:00", 0.0),  # Wednesday
        ("2024-01-05T20:59:59", 0.0),  # Friday before the ramp
        ("2024-01-06T00:00:00", 0.25),  # ramp Fri 21:00 -> Sat 03:00 is half way
        ("2024-01-06T03:00:00", 0.5),  # Saturday
        ("2024-01-07T12:00:00", 0.5),  # Sunday
        ("2024-01-08T00:00:00", 0.25),  # ramp down, half way
        ("2024-01-08T03:00:00", 0.0),  # Monday
    ],
)
def test_weekend_damping_ramps_around_midnight(moment: str, expected: float) -> None:
    assert weekend_damping(_t(moment), 0.5, 180, 360) == pytest.approx(expected)


def test_per_user_means_are_log_normal_with_the_configured_mean() -> None:
    rng = Random(3)
    draws = [per_user_mean(90.0, rng) for _ in range(200_000)]
    assert sum(draws) / len(draws) == pytest.approx(90.0, rel=0.03)
    median = sorted(draws)[len(draws) // 2]
    assert median == pytest.approx(90.0 / math.sqrt(math.e), rel=0.03)


def test_exponential_gaps_are_whole_seconds_with_the_right_mean() -> None:
    rng = Random(4)
    gaps = [exponential_seconds(90.0, rng) for _ in range(200_000)]
    assert all(isinstance(g, int) and g >= 0 for g in gaps)
    assert sum(gaps) / len(gaps) == pytest.approx(89.5, rel=0.02)  # truncation takes ~0.5 s


def test_next_session_starts_after_the_gap_when_there_is_no_warp() -> None:
    session_clock = SessionClock(1800, 0.0, 0.0, 180, 360)
    rng = Random(5)
    last = _t("2024-01-02T10:00:00")
    starts = [session_clock.next_start(last, 3600.0, rng) for _ in range(10_000)]
    assert min(starts) >= last + 1800
    assert sum(s - last for s in starts) / len(starts) == pytest.approx(1800 + 3600, rel=0.03)
