"""Event-time sessions: gaps split, late events within the lateness update (and may join
two sessions), later ones are refused for the caller to count; closing by watermark."""

from __future__ import annotations

from offers.sessionizer import Sessionizer
from tests.offers.scripts import MINUTE, T0, view

GAP, LATENESS = 30 * MINUTE, 10 * MINUTE


def test_a_gap_longer_than_the_inactivity_gap_starts_a_new_session() -> None:
    sessions = Sessionizer(GAP, LATENESS)
    for minute in (0, 10, 20):
        sessions.add(view(minute, "Home"))
    sessions.add(view(51, "Home"))
    assert [(s.started_at_ms, s.events) for s in sessions.sessions] == [
        (T0, 3),
        (T0 + 51 * MINUTE, 1),
    ]


def test_a_late_event_within_the_lateness_joins_the_sessions_it_bridges() -> None:
    sessions = Sessionizer(GAP, LATENESS)
    for minute in (0, 10, 45):
        sessions.add(view(minute, "Home"))
    assert len(sessions.sessions) == 2
    joined = sessions.add(view(38, "Upgrade"))  # watermark 35: late but allowed
    assert joined is not None
    assert len(sessions.sessions) == 1
    assert (joined.started_at_ms, joined.last_event_ms, joined.events) == (
        T0,
        T0 + 45 * MINUTE,
        4,
    )
    assert joined.upgrade_views == 1


def test_an_event_before_the_watermark_is_refused_and_changes_nothing() -> None:
    sessions = Sessionizer(GAP, LATENESS)
    for minute in (0, 10, 45):
        sessions.add(view(minute, "Home"))
    assert sessions.add(view(5, "Upgrade")) is None  # watermark 35
    assert sum(s.events for s in sessions.sessions) == 3
    assert all(s.upgrade_views == 0 for s in sessions.sessions)


def test_sessions_close_once_the_watermark_passes_their_end_plus_the_gap() -> None:
    sessions = Sessionizer(GAP, LATENESS)
    sessions.add(view(0, "Home"))
    sessions.add(view(50, "Home"))
    assert sessions.next_close_ms() == T0 + GAP + 1
    assert sessions.close_before(T0 + GAP) == []
    closed = sessions.close_before(T0 + GAP + 1)
    assert [s.started_at_ms for s in closed] == [T0]
    assert [s.started_at_ms for s in sessions.sessions] == [T0 + 50 * MINUTE]


def test_each_session_records_the_eventsim_session_ids_it_saw() -> None:
    sessions = Sessionizer(GAP, LATENESS)
    sessions.add(view(0, "Home", session_id=1))
    sessions.add(view(5, "Home", session_id=2))  # eventsim split what we see as one visit
    assert sessions.sessions[0].eventsim_sessions == {1, 2}
