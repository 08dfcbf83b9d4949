"""The simulator against what its config implies, computed here from the JSON alone.

Tolerances are stated per test: a sample mean must be within 4 standard errors of the
model's expectation; ratios within the band given next to them.
"""

from __future__ import annotations

import itertools
import json
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from backbeat.simulator.config import SimulationConfig
from tests.simulator.conftest import DAY_MS, MONDAY, Simulate

State = tuple[str, str, int, str, str]


def _key(entry: dict[str, Any]) -> State:
    return (entry["page"], entry["auth"], entry["status"], entry["method"], entry["level"])


def expected_visits(config_path: Path, auth: str, level: str) -> dict[str, float]:
    """Expected visits per page in a session started by the config's new-session weights for
    (auth, level): the absorbing Markov chain summed until the remaining mass is negligible."""
    raw = json.loads(config_path.read_text())
    outgoing: dict[State, list[tuple[State, float]]] = defaultdict(list)
    for t in raw["transitions"]:
        outgoing[_key(t["source"])].append((_key(t["dest"]), t["p"]))
    starts = [
        (s, s["weight"]) for s in raw["new-session"] if (s["auth"], s["level"]) == (auth, level)
    ]
    total = sum(w for _, w in starts)
    mass: dict[State, float] = {_key(s): w / total for s, w in starts}
    visits: dict[str, float] = defaultdict(float)
    while sum(mass.values()) > 1e-12:
        step: dict[State, float] = defaultdict(float)
        for state, m in mass.items():
            visits[state[0]] += m
            for dest, p in outgoing.get(state, []):
                step[dest] += m * p
        mass = step
    return dict(visits)


@pytest.fixture(scope="module")
def long_run(example_config: SimulationConfig, simulate: Simulate) -> list[Any]:
    """Page views of 4000 users over four weeks of the example config."""
    return [
        e.record
        for e in simulate(example_config, users=4000, days=28, seed=21)
        if e.topic == "page_view_events"
    ]


def _complete_sessions(views: list[Any], first_ms: int, last_ms: int) -> dict[int, list[Any]]:
    """Sessions whose first event is written and which start in [first_ms, last_ms)."""
    sessions: dict[int, list[Any]] = defaultdict(list)
    for view in views:
        sessions[view.session_id].append(view)
    return {
        sid: events
        for sid, events in sessions.items()
        if events[0].item_in_session == 0 and first_ms <= events[0].ts < last_ms
    }


def test_events_and_pages_per_session_by_starting_state(
    example_config: SimulationConfig, long_run: list[Any]
) -> None:
    sessions = _complete_sessions(long_run, MONDAY + DAY_MS, MONDAY + 27 * DAY_MS)
    by_start: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
    for events in sessions.values():
        by_start[(events[0].auth, events[0].level)].append(events)
    checked = 0
    for (auth, level), group in by_start.items():
        if len(group) < 500:
            continue
        expected = expected_visits(example_config.path, auth, level)
        lengths = [len(events) for events in group]
        mean, sd = statistics.fmean(lengths), statistics.stdev(lengths)
        tolerance = 4 * sd / math.sqrt(len(lengths))
        assert abs(mean - sum(expected.values())) <= tolerance, (
            auth,
            level,
            mean,
            sum(expected.values()),
        )
        for page, visits in expected.items():
            per_session = [sum(view.page == page for view in events) for events in group]
            # A page too rare to be seen has a sample sd of 0: floor the variance at Poisson's.
            variance = max(statistics.variance(per_session), visits)
            page_tolerance = 4 * math.sqrt(variance / len(group))
            assert abs(statistics.fmean(per_session) - visits) <= page_tolerance, (
                auth,
                level,
                page,
            )
        checked += 1
    assert checked >= 3, {k: len(v) for k, v in by_start.items()}


def test_songs_play_back_to_back(long_run: list[Any]) -> None:
    sessions = _complete_sessions(long_run, MONDAY, MONDAY + 28 * DAY_MS)
    pairs = 0
    for events in sessions.values():
        for first, second in itertools.pairwise(events):
            if first.page == second.page == "NextSong":
                assert second.ts - first.ts == int(first.duration) * 1000
                pairs += 1
    assert pairs > 10_000


def test_session_starts_peak_in_the_afternoon_and_dip_at_night(
    example_config: SimulationConfig, long_run: list[Any]
) -> None:
    """Start density ∝ 1/(1 + 2π·damping·cos(2π(h-3)/24)) for uniform candidates."""
    hours: Counter[int] = Counter()
    for view in long_run:
        day = (view.ts - MONDAY) // DAY_MS
        if view.item_in_session == 0 and day % 7 in (1, 2, 3):  # Tue-Thu, far from the weekend ramp
            hours[(view.ts % DAY_MS) // 3_600_000] += 1

    def density(hour: float) -> float:
        return 1 / (
            1 + 2 * math.pi * example_config.damping * math.cos(2 * math.pi * (hour - 3) / 24)
        )

    def band(first: int, last: int) -> tuple[float, float]:
        observed = sum(hours[h] for h in range(first, last))
        expected = sum(density(h + m / 60) for h in range(first, last) for m in range(60))
        return observed, expected

    peak, peak_expected = band(13, 18)
    trough, trough_expected = band(1, 6)
    ratio, expected_ratio = peak / trough, peak_expected / trough_expected
    assert expected_ratio > 3
    assert ratio == pytest.approx(expected_ratio, rel=0.2)


def test_weekend_session_starts_are_damped(
    example_config: SimulationConfig, simulate: Simulate, long_run: list[Any]
) -> None:
    """Weekend starts are accepted with probability 1 - weekend-damping; rejected ones retry
    later, mostly on weekdays. Saturday/Sunday (03:00-21:00) vs Tue-Thu starts per day."""

    def weekend_ratio(views: list[Any]) -> float:
        per_day: Counter[str] = Counter()
        for view in views:
            if view.item_in_session != 0:
                continue
            day = (view.ts - MONDAY) // DAY_MS % 7
            hour = (view.ts % DAY_MS) // 3_600_000
            if 3 <= hour < 21:
                per_day[
                    "weekend" if day in (5, 6) else "midweek" if day in (1, 2, 3) else "other"
                ] += 1
        return (per_day["weekend"] / 2) / (per_day["midweek"] / 3)

    assert 0.4 <= weekend_ratio(long_run) <= 0.65  # config: 0.5
    undamped = replace(example_config, weekend_damping=0.0)
    views = [
        e.record
        for e in simulate(undamped, users=4000, days=28, seed=21)
        if e.topic == "page_view_events"
    ]
    assert 0.9 <= weekend_ratio(views) <= 1.1


def test_gaps_between_sessions_respect_session_gap(
    example_config: SimulationConfig, simulate: Simulate
) -> None:
    """With little warp, the gap between a user's sessions is at least session-gap minus the
    warp's largest backward shift (damping * 86400 s)."""
    config = replace(example_config, beta=900.0, damping=0.004)
    floor_s = config.session_gap - config.damping * 86400
    sessions: dict[int, dict[int, list[int]]] = defaultdict(dict)
    for event in simulate(config, users=300, days=3, seed=5):
        record = event.record
        user_id = getattr(record, "user_id", None)
        if event.topic == "page_view_events" and isinstance(user_id, int):
            sessions[user_id].setdefault(record.session_id, []).append(record.ts)  # type: ignore[attr-defined]
    gaps = []
    for by_session in sessions.values():
        spans = sorted((min(ts), max(ts)) for ts in by_session.values())
        gaps += [(b[0] - a[1]) / 1000 for a, b in itertools.pairwise(spans)]
    assert len(gaps) > 1000
    assert min(gaps) >= floor_s
    assert statistics.median(gaps) < config.session_gap + 2 * config.beta  # the gap is really used
