from __future__ import annotations

from backbeat.events.side_effects import AuthCursor


def test_auth_events_follow_login_including_eventsims_spurious_failure() -> None:
    """Session 53 of the real Kafka-fork sample: auth records at items 2, 3, 4 and 7."""
    pages = [
        ("Home", 200),
        ("Login", 307),
        ("Home", 200),
        ("Login", 307),
        ("Home", 200),
        ("Home", 200),
        ("Login", 307),
        ("Home", 200),
    ]
    cursor = AuthCursor()
    emitted = [item for item, (page, status) in enumerate(pages) if cursor.visit(page, status)]
    assert emitted == [2, 3, 4, 7]


def test_no_auth_event_without_login() -> None:
    cursor = AuthCursor()
    assert not any(cursor.visit(page, 200) for page in ["Home", "NextSong", "NextSong", "Help"])
