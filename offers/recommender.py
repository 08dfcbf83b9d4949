"""Item-to-item recommendations from songs played together in sessions.

Pure logic; offers/store.py keeps the counts in Redis. A play adds weight to the pair it
forms with each of the few plays before it in the same session (both directions), and to
the song's popularity. Weights decay with a half-life by *forward decay*: a play at time t
adds 2^((t - ANCHOR) / half_life), so older plays count for less relative to newer ones
without rewriting stored scores (doubles hold it for centuries of half-lives of 14 days).

A user's recommendations blend the neighbours of their recent plays (the most recent
weigh most), leave out what they heard recently, and fall back on popularity.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence

#: 2024-01-01T00:00:00Z: where forward-decay weights are 1.
ANCHOR_MS = 1_704_067_200_000
#: How much each older recent play counts relative to the one after it.
RECENCY_FACTOR = 0.7


def song_id(artist: str, song: str) -> str:
    """A short, stable id for a track (artist and title; JSON keeps "A|B","C" and
    "A","B|C" apart)."""
    return hashlib.sha256(json.dumps([artist, song]).encode()).hexdigest()[:16]


def decay_weight(ts_ms: int, half_life_ms: float) -> float:
    return float(2.0 ** ((ts_ms - ANCHOR_MS) / half_life_ms))


def co_played(recent: Sequence[str], current: str, window: int) -> list[str]:
    """The songs `current` counts as played together with: the last `window` plays before
    it in the session, once each, never itself."""
    seen: list[str] = []
    for song in reversed(recent[-window:]):
        if song != current and song not in seen:
            seen.append(song)
    return seen


def recommend(
    recent: Sequence[str],
    neighbours: Mapping[str, Sequence[tuple[str, float]]],
    popular: Sequence[tuple[str, float]],
    k: int,
) -> list[tuple[str, float]]:
    """Top `k` songs for a user: `recent` is their latest plays, newest first.

    Each recent song's neighbour scores are normalised by its best neighbour, weighted by
    recency and summed; songs in `recent` are left out; popular songs fill what is left, in
    order of popularity, with score 0.
    """
    heard = set(recent)
    scores: dict[str, float] = defaultdict(float)
    weight = 1.0
    for song in dict.fromkeys(recent):  # first (newest) occurrence of each
        found = neighbours.get(song, ())
        best = max((score for _, score in found), default=0.0)
        if best > 0:
            for other, score in found:
                if other not in heard:
                    scores[other] += weight * score / best
        weight *= RECENCY_FACTOR
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
    if len(ranked) < k:
        chosen = {song for song, _ in ranked}
        for song, _ in popular:
            if len(ranked) >= k:
                break
            if song not in heard and song not in chosen:
                ranked.append((song, 0.0))  # after every neighbour: score 0 marks a fallback
                chosen.add(song)
    return ranked
