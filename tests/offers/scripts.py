"""Hand-made page views for the real-time tests: a user's clicks, minute by minute."""

from __future__ import annotations

from offers.features import PageView

T0 = 1_790_000_000_000  # event time of the first click
MINUTE = 60_000


def view(
    minute: float,
    page: str,
    user_id: int | None = 7,
    level: str = "free",
    session_id: int = 100,
    status: int = 200,
    artist: str | None = None,
    song: str | None = None,
    tag: str | None = None,
) -> PageView:
    played = page == "NextSong"
    return PageView(
        ts=T0 + int(minute * MINUTE),
        session_id=session_id,
        page=page,
        level=level,
        status=status,
        user_id=user_id,
        tag=tag,
        artist=(artist or "Artist") if played else None,
        song=(song or f"Song {minute}") if played else None,
        duration=200.0 if played else None,
    )
