"""Backbeat's Redis key layout: the one place that names keys (prefix `bb:v1:` by default;
its version changes when the layout does).

- `<p>user:<id>:session` (hash): live features of the user's current session
  (offers/features.py), JSON per field. TTL: user TTL after the last event.
- `<p>user:<id>:offers` (hash): offer id -> decision JSON (reason, expiry); at most the
  rules' offers within their cooldowns. TTL: user TTL, or the latest expiry if later.
- `<p>user:<id>:recent` (list): song ids of the latest plays, newest first, at most
  `RECENT_PLAYS`. TTL: user TTL.
- `<p>song:<song id>` (hash): artist, song. TTL: `SONG_TTL_S` after its last play.
- `<p>song:<song id>:neighbours` (sorted set): co-play scores (forward-decayed), the top
  `neighbours_kept`. TTL: `SONG_TTL_S` after its last play.
- `<p>popular` (sorted set): play scores (forward-decayed), the top `POPULAR_KEPT`.
- `<p>stats` (hash): counters late_events, sessions_closed, sessions_agreeing_with_eventsim.

Per-user keys all expire; song keys expire when a song is no longer played; the two global
keys are bounded in size.
"""

from __future__ import annotations

from dataclasses import dataclass

RECENT_PLAYS = 50
POPULAR_KEPT = 1000
SONG_TTL_S = 90 * 24 * 3600


@dataclass(frozen=True)
class RedisKeys:
    prefix: str = "bb:v1:"

    def session(self, user_id: int) -> str:
        return f"{self.prefix}user:{user_id}:session"

    def offers(self, user_id: int) -> str:
        return f"{self.prefix}user:{user_id}:offers"

    def recent(self, user_id: int) -> str:
        return f"{self.prefix}user:{user_id}:recent"

    def song(self, song_id: str) -> str:
        return f"{self.prefix}song:{song_id}"

    def neighbours(self, song_id: str) -> str:
        return f"{self.prefix}song:{song_id}:neighbours"

    @property
    def popular(self) -> str:
        return f"{self.prefix}popular"

    @property
    def stats(self) -> str:
        return f"{self.prefix}stats"
