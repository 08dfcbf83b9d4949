"""Backbeat's Redis key layout: the one place that names keys (prefix `bb:v3:` by default;
its version changes when the layout does).

Every key of one user, one song or one artist carries the id as its Redis Cluster hash tag
(`{<id>}`), so on a Redis Cluster they share a slot, hence a node: a user's reads are one
node's, and the recommender's writes are grouped per node (offers/store_topology.py). On a
single Redis the braces are just characters.

Per user (all expire `user TTL` after the user's last event):
- `<p>user:{<id>}:session` (hash): live features of the current session
  (offers/features.py), JSON per field.
- `<p>user:{<id>}:offers` (hash): offer id -> decision JSON; at most the rules' offers
  within their cooldowns. TTL: the user TTL, or the latest expiry if later.
- `<p>user:{<id>}:recent` (list): song ids of the latest plays, newest first, at most
  `RECENT_PLAYS` (23 bytes each).

The recommender's model (offers/recommender.py), expiring `SONG_TTL_S` after the last play
that touched it:
- `<p>song:{<song id>}` (hash): artist, song, `co` (co-play total).
- `<p>song:{<song id>}:neighbours` (sorted set): co-played songs, the top `neighbours_kept`.
- `<p>artist:{<artist id>}` (hash): `co` (co-play total), `pairs` and `same` (plays that
  followed the artist, and those by the artist again).
- `<p>artist:{<artist id>}:neighbours` (sorted set): songs played near the artist's songs,
  the top `neighbours_kept`.
- `<p>artist:{<artist id>}:songs` (sorted set): the artist's songs by plays, the top
  `ARTIST_KEPT`.

Global, bounded in size (each one key, so on a Redis Cluster each lives on one node, which
every batch of plays writes to: a ZINCRBY of `popular` per song played, a few `model`
counters):
- `<p>popular` (sorted set): songs by plays, the top `POPULAR_KEPT`.
- `<p>stats` (hash): counters late_events, sessions_closed, sessions_agreeing_with_eventsim.
- `<p>model` (hash): the recommender's plays, pairs, same_artist, unit (forward-decayed
  weights), and its online judgement: judged, hits_recommender, hits_popularity,
  only_recommender, only_popularity.

Memory (`MEMORY USAGE` after a `--taste` run of 1,000 users over 14 days,
bench/recommender_memory.py): per song about 1.1 KB (its hash 181 B, its neighbours 875 B on
average, at most about 2.3 KB when full); per artist about 2.8 KB (hash 179 B, neighbours
2.2 KB, songs 364 B); per user 1.2 KB of recent plays besides the session and offers hashes;
`popular` 121 KB. So a catalogue of a million played songs and 100,000 artists needs about
1.4 GB at most; users cost what their TTL keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

from offers.recommender import ARTIST_KEPT, POPULAR_KEPT, CounterRef, SetRef

RECENT_PLAYS = 50
SONG_TTL_S = 90 * 24 * 3600

__all__ = ["ARTIST_KEPT", "POPULAR_KEPT", "RECENT_PLAYS", "SONG_TTL_S", "RedisKeys"]


@dataclass(frozen=True)
class RedisKeys:
    prefix: str = "bb:v3:"

    def session(self, user_id: int) -> str:
        return f"{self.prefix}user:{{{user_id}}}:session"

    def offers(self, user_id: int) -> str:
        return f"{self.prefix}user:{{{user_id}}}:offers"

    def recent(self, user_id: int) -> str:
        return f"{self.prefix}user:{{{user_id}}}:recent"

    def song(self, song_id: str) -> str:
        return f"{self.prefix}song:{{{song_id}}}"

    def neighbours(self, song_id: str) -> str:
        return f"{self.prefix}song:{{{song_id}}}:neighbours"

    def artist(self, artist_id: str) -> str:
        return f"{self.prefix}artist:{{{artist_id}}}"

    def artist_neighbours(self, artist_id: str) -> str:
        return f"{self.prefix}artist:{{{artist_id}}}:neighbours"

    def artist_songs(self, artist_id: str) -> str:
        return f"{self.prefix}artist:{{{artist_id}}}:songs"

    @property
    def popular(self) -> str:
        return f"{self.prefix}popular"

    @property
    def stats(self) -> str:
        return f"{self.prefix}stats"

    @property
    def model(self) -> str:
        return f"{self.prefix}model"

    def of_set(self, ref: SetRef) -> str:
        """The sorted set holding one part of the recommender's model."""
        if ref.kind == "neighbours":
            return self.neighbours(ref.id)
        if ref.kind == "artist_neighbours":
            return self.artist_neighbours(ref.id)
        if ref.kind == "artist":
            return self.artist_songs(ref.id)
        return self.popular

    def of_counters(self, ref: CounterRef) -> str:
        """The hash holding one set of the model's counters."""
        if ref.kind == "song":
            return self.song(ref.id)
        if ref.kind == "artist":
            return self.artist(ref.id)
        return self.model
