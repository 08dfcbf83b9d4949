"""Recommendations from co-plays: neighbours of recent plays, recent ones weigh more,
what was just heard is left out, popularity fills in for new users."""

from __future__ import annotations

import pytest

from offers.recommender import co_played, decay_weight, recommend, song_id

DAY_MS = 86_400_000


def test_a_play_pairs_with_the_few_distinct_plays_before_it() -> None:
    assert co_played(["a", "b", "c", "b", "d"], "e", window=3) == ["d", "b", "c"]
    assert co_played(["a", "e"], "e", window=5) == ["a"]


def test_weights_halve_every_half_life() -> None:
    now = 1_790_000_000_000
    ratio = decay_weight(now + 14 * DAY_MS, 14 * DAY_MS) / decay_weight(now, 14 * DAY_MS)
    assert ratio == pytest.approx(2.0)


def test_neighbours_of_recent_plays_come_first_and_heard_songs_never() -> None:
    neighbours = {
        "new": [("x", 10.0), ("old", 8.0), ("y", 5.0)],
        "old": [("y", 4.0), ("z", 4.0)],
    }
    ranked = recommend(["new", "old"], neighbours, popular=[("p", 9.0)], k=4)
    assert [song for song, _ in ranked] == ["y", "x", "z", "p"]  # y: a neighbour of both
    scores = dict(ranked)
    assert scores["y"] == pytest.approx(5 / 10 + 0.7 * 4 / 4)
    assert scores["p"] == 0.0  # a popularity fill-in
    assert "old" not in scores and "new" not in scores


def test_a_new_user_gets_the_popular_songs() -> None:
    popular = [("p1", 9.0), ("p2", 5.0), ("p3", 1.0)]
    assert [s for s, _ in recommend([], {}, popular, k=2)] == ["p1", "p2"]


def test_song_ids_are_stable_and_tell_tracks_apart() -> None:
    assert song_id("Björk", "Jóga") == song_id("Björk", "Jóga")
    assert song_id("A", "B|C") != song_id("A|B", "C")
