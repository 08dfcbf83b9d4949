"""One key's real-time state and what each event makes of it: the heart of the sessions
dataflow, as pure logic (the dataflow adds Kafka, system time and Redis around it).

For each page view: place it in a session (offers/sessionizer.py), update the live
features, decide offers (offers/engine.py) and, for a play, the co-play counts of the
recommender. Output is a list of effects for the store and the `offers` topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backbeat.settings.sessions import SessionsSettings
from offers.engine import Decision, OfferEngine
from offers.features import PageView, SessionFeatures
from offers.recommender import Play, co_played, decay_weight, song_id
from offers.sessionizer import Sessionizer

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
#: A key silent this long (event time) is forgotten: longer than the shipped cooldowns.
IDLE_FORGET_MS = 30 * DAY_MS


@dataclass(frozen=True)
class SessionUpdated:
    user_id: int
    features: dict[str, Any]


@dataclass(frozen=True)
class OfferDecided:
    decision: Decision


@dataclass(frozen=True)
class SongPlayed:
    user_id: int
    ts: int
    song_id: str
    artist: str
    song: str
    weight: float
    co_played: tuple[str, ...]

    def as_play(self) -> Play:
        """What the recommender learns from it."""
        return Play(self.song_id, self.weight, self.co_played)


@dataclass(frozen=True)
class LateEvent:
    key: str
    ts: int
    watermark_ms: int


@dataclass(frozen=True)
class SessionClosed:
    key: str
    started_at_ms: int
    ended_at_ms: int
    events: int
    #: The session is exactly one of eventsim's sessions (its ids agree with ours).
    agrees_with_eventsim: bool


Effect = SessionUpdated | OfferDecided | SongPlayed | LateEvent | SessionClosed


@dataclass(frozen=True)
class ActivityConfig:
    gap_ms: int
    lateness_ms: int
    co_play_window: int
    half_life_ms: float

    @classmethod
    def from_settings(cls, sessions: SessionsSettings) -> ActivityConfig:
        """The configuration `backbeat sessions` runs with (and the offline evaluation)."""
        return cls(
            gap_ms=int(sessions.gap_minutes * 60_000),
            lateness_ms=int(sessions.allowed_lateness_minutes * 60_000),
            co_play_window=sessions.recommendations_window,
            half_life_ms=sessions.decay_half_life_days * 86_400_000,
        )


@dataclass
class KeyActivity:
    """Everything the dataflow keeps for one user (or guest session) between events."""

    key: str
    sessionizer: Sessionizer
    #: rule id -> event time of the last decision (cooldowns).
    cooldowns: dict[str, int] = field(default_factory=dict)
    #: hour (event time // 1 h) -> plays, for plays in the last 24 hours.
    plays_by_hour: dict[int, int] = field(default_factory=dict)

    @classmethod
    def new(cls, key: str, config: ActivityConfig) -> KeyActivity:
        return cls(key, Sessionizer(config.gap_ms, config.lateness_ms))

    def plays_24h(self) -> int:
        first_hour = self._first_counted_hour()
        return sum(n for hour, n in self.plays_by_hour.items() if hour >= first_hour)

    def on_view(self, view: PageView, engine: OfferEngine, config: ActivityConfig) -> list[Effect]:
        watermark = self.sessionizer.watermark_ms
        previous_songs = self._songs_before(view)
        session = self.sessionizer.add(view)
        if session is None:
            assert watermark is not None
            return [LateEvent(view.key, view.ts, watermark)]
        effects: list[Effect] = []
        if view.is_play and view.user_id is not None:
            assert view.artist is not None and view.song is not None
            played = song_id(view.artist, view.song)
            hour = view.ts // HOUR_MS
            self.plays_by_hour[hour] = self.plays_by_hour.get(hour, 0) + 1
            self._forget_old_hours()
            effects.append(
                SongPlayed(
                    view.user_id,
                    view.ts,
                    played,
                    view.artist,
                    view.song,
                    decay_weight(view.ts, config.half_life_ms),
                    tuple(co_played(previous_songs, played, config.co_play_window)),
                )
            )
            session.recent_songs.append(played)
            del session.recent_songs[: -config.co_play_window]
        if view.user_id is None:
            return effects  # guests: sessions only, no offers or per-user keys
        current = self.sessionizer.current()
        if current is not session:  # a late event: the live session is another one
            assert current is not None
            session = current
        features = session.values(self.plays_24h())
        effects.append(SessionUpdated(view.user_id, features))
        for decision in engine.decide(view.user_id, view.tag, features, self.cooldowns, view.ts):
            effects.append(OfferDecided(decision))
        return effects

    def _songs_before(self, view: PageView) -> list[str]:
        """The latest plays of the session `view` joins (the first, if it joins several)."""
        touching = self.sessionizer.touching(view.ts)
        return list(touching[0].recent_songs) if touching else []

    def _first_counted_hour(self) -> int:
        """The oldest hour still inside the 24 hours before the newest event."""
        return ((self.sessionizer.newest_ms or 0) - DAY_MS) // HOUR_MS + 1

    def _forget_old_hours(self) -> None:
        first_hour = self._first_counted_hour()
        for hour in [h for h in self.plays_by_hour if h < first_hour]:
            del self.plays_by_hour[hour]

    def close_before(self, watermark_ms: int) -> list[Effect]:
        """Close the sessions the watermark has passed (what the dataflow's clock calls)."""
        return [_closed(self.key, s) for s in self.sessionizer.close_before(watermark_ms)]

    def is_idle(self, watermark_ms: int) -> bool:
        """Nothing left worth keeping: no open session, and silent for longer than any
        cooldown or the 24-hour play count looks back."""
        newest = self.sessionizer.newest_ms or 0
        return not self.sessionizer.sessions and watermark_ms - newest > IDLE_FORGET_MS


def _closed(key: str, session: SessionFeatures) -> SessionClosed:
    return SessionClosed(
        key,
        session.started_at_ms,
        session.last_event_ms,
        session.events,
        len(session.eventsim_sessions) == 1,
    )
