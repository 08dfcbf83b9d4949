"""A logged-in play with every field eventsim writes, for tests that need one known event."""

from __future__ import annotations

from typing import Any

from backbeat.events.schemas import ListenEvent


def a_play(ts: int, session_id: int, user_id: int, **fields: Any) -> ListenEvent:
    """A paid listener's play in Tampa at `ts` (epoch ms); `fields` override the rest."""
    values: dict[str, Any] = {
        "artist": "Probe Artist",
        "song": "Probe Song",
        "duration": 180.0,
        "auth": "Logged In",
        "level": "paid",
        "item_in_session": 0,
        "registration": ts - 86_400_000,
        "first_name": "Pro",
        "last_name": "Be",
        "gender": "F",
        "city": "Tampa",
        "state": "FL",
        "zip": "33601",
        "user_agent": "Mozilla/5.0",
        "lon": -82.4,
        "lat": 27.9,
    }
    return ListenEvent(ts=ts, session_id=session_id, user_id=user_id, **(values | fields))
