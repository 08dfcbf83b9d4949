"""Live features of a session: what the offer rules test and `backbeat offers` shows.

Pure logic. Every counter is a sum, so a late event can be applied whenever it arrives and
two sessions that a late event joins can be merged; only `level` depends on order, and it
is taken from the newest event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from msgspec import UnsetType

from backbeat.events.schemas import PageViewEvent

T = TypeVar("T")

#: Pages that show what a user means to do, and the counter each one feeds.
INTENT_PAGES = {
    "Upgrade": "upgrade_views",
    "Downgrade": "downgrade_views",
    "Cancel": "cancel_views",
    "Settings": "settings_views",
}
_COUNTED_PAGES = {
    "Roll Advert": "adverts",
    "Thumbs Up": "thumbs_up",
    "Thumbs Down": "thumbs_down",
    "Add to Playlist": "playlist_adds",
    **INTENT_PAGES,
}


@dataclass(frozen=True, slots=True)
class PageView:
    """The fields of a page_view_events record the real-time side uses."""

    ts: int
    session_id: int
    page: str
    level: str
    status: int
    user_id: int | None = None
    tag: str | None = None
    artist: str | None = None
    song: str | None = None
    duration: float | None = None

    @property
    def key(self) -> str:
        """Users are keyed by user id; guests and logged-out visitors by eventsim session."""
        return f"user:{self.user_id}" if self.user_id is not None else f"guest:{self.session_id}"

    @property
    def is_play(self) -> bool:
        return self.page == "NextSong" and self.artist is not None and self.song is not None


def _given(value: T | UnsetType) -> T | None:
    return None if isinstance(value, UnsetType) else value


def page_view(event: PageViewEvent) -> PageView:
    """The fields of a decoded page_view_events record that the real-time side uses."""
    return PageView(
        ts=event.ts,
        session_id=event.session_id,
        page=event.page,
        level=event.level,
        status=event.status,
        user_id=_given(event.user_id),
        tag=_given(event.tag),
        artist=_given(event.artist),
        song=_given(event.song),
        duration=_given(event.duration),
    )


@dataclass(eq=False)  # sessions are told apart by identity, not by equal counters
class SessionFeatures:
    started_at_ms: int
    last_event_ms: int
    level: str
    events: int = 0
    songs_played: int = 0
    seconds_listened: float = 0.0
    adverts: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    playlist_adds: int = 0
    errors: int = 0
    upgrade_views: int = 0
    downgrade_views: int = 0
    cancel_views: int = 0
    settings_views: int = 0
    submitted_upgrade: bool = False
    submitted_downgrade: bool = False
    artist_plays: dict[str, int] = field(default_factory=dict)
    #: eventsim's own session ids seen in this session (to measure agreement with it).
    eventsim_sessions: set[int] = field(default_factory=set)
    #: Song ids of the latest plays, newest last (for co-play counts), bounded by the caller.
    recent_songs: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, view: PageView) -> SessionFeatures:
        return cls(started_at_ms=view.ts, last_event_ms=view.ts, level=view.level)

    def apply(self, view: PageView) -> None:
        if view.ts >= self.last_event_ms:
            self.level = view.level
        self.started_at_ms = min(self.started_at_ms, view.ts)
        self.last_event_ms = max(self.last_event_ms, view.ts)
        self.events += 1
        self.eventsim_sessions.add(view.session_id)
        counter = _COUNTED_PAGES.get(view.page)
        if counter:
            setattr(self, counter, getattr(self, counter) + 1)
        if view.page == "Error" or view.status >= 400:
            self.errors += 1
        if view.page == "Submit Upgrade":
            self.submitted_upgrade = True
        if view.page == "Submit Downgrade":
            self.submitted_downgrade = True
        if view.is_play:
            assert view.artist is not None
            self.songs_played += 1
            self.seconds_listened += view.duration or 0.0
            self.artist_plays[view.artist] = self.artist_plays.get(view.artist, 0) + 1

    def absorb(self, other: SessionFeatures) -> None:
        """Merge `other` (a session a late event joined to this one) into this one."""
        newer = other.last_event_ms > self.last_event_ms
        for spec in fields(self):
            mine, theirs = getattr(self, spec.name), getattr(other, spec.name)
            if isinstance(mine, bool):
                setattr(self, spec.name, mine or theirs)
            elif isinstance(mine, int | float) and spec.name not in _TIMES:
                setattr(self, spec.name, mine + theirs)
        self.started_at_ms = min(self.started_at_ms, other.started_at_ms)
        self.last_event_ms = max(self.last_event_ms, other.last_event_ms)
        if newer:
            self.level = other.level
        for artist, plays in other.artist_plays.items():
            self.artist_plays[artist] = self.artist_plays.get(artist, 0) + plays
        self.eventsim_sessions |= other.eventsim_sessions
        if newer:
            self.recent_songs = other.recent_songs

    @property
    def distinct_artists(self) -> int:
        return len(self.artist_plays)

    @property
    def top_artist(self) -> str:
        """The most played artist of the session (ties: alphabetical), '' before any play."""
        if not self.artist_plays:
            return ""
        return min(self.artist_plays, key=lambda a: (-self.artist_plays[a], a))

    @property
    def top_artist_plays(self) -> int:
        return max(self.artist_plays.values(), default=0)

    @property
    def session_seconds(self) -> float:
        return (self.last_event_ms - self.started_at_ms) / 1000

    def values(self, plays_24h: int) -> dict[str, Any]:
        """Every feature by name: what rules may test and what Redis holds."""
        return {
            "level": self.level,
            "session_started_at_ms": self.started_at_ms,
            "last_event_ms": self.last_event_ms,
            "session_seconds": self.session_seconds,
            "events": self.events,
            "songs_played": self.songs_played,
            "distinct_artists": self.distinct_artists,
            "seconds_listened": round(self.seconds_listened, 3),
            "adverts": self.adverts,
            "thumbs_up": self.thumbs_up,
            "thumbs_down": self.thumbs_down,
            "playlist_adds": self.playlist_adds,
            "errors": self.errors,
            "upgrade_views": self.upgrade_views,
            "downgrade_views": self.downgrade_views,
            "cancel_views": self.cancel_views,
            "settings_views": self.settings_views,
            "submitted_upgrade": self.submitted_upgrade,
            "submitted_downgrade": self.submitted_downgrade,
            "top_artist": self.top_artist,
            "top_artist_plays": self.top_artist_plays,
            "plays_24h": plays_24h,
        }


_TIMES = {"started_at_ms", "last_event_ms"}
#: The names rules may use (checked when the rules file is loaded).
FEATURE_NAMES = frozenset(SessionFeatures(0, 0, "free").values(0))
