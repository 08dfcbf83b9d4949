"""The recommender on hand-made listening where the right answer is known: what a play
teaches the model, and what a user is served (offers/recommender.py), with the model kept
in memory as offers/evaluation.py keeps it."""

from __future__ import annotations

import pytest

from offers.activity import SongPlayed
from offers.evaluation import MemoryModel
from offers.recommender import (
    STATS,
    CounterRef,
    Evidence,
    Play,
    SetRef,
    artist_of,
    changes,
    co_played,
    decay_weight,
    most_popular,
    popularity_leads,
    recommend,
    serve,
    song_id,
)

DAY_MS = 86_400_000


def song(artist: str, n: int) -> str:
    return song_id(artist, f"{artist} song {n}")


def listen(model: MemoryModel, user: int, songs: list[str], t0: int = 0) -> None:
    """One session of `user` playing `songs` in order, as the sessions dataflow would emit
    them (each with the plays before it in the session, window 5)."""
    before: list[str] = []
    for i, played in enumerate(songs):
        ts = t0 + i * 200_000
        model.apply(
            [SongPlayed(user, ts, played, "a", "s", 1.0, tuple(co_played(before, played, 5)))]
        )
        before.append(played)


def served(model: MemoryModel, user: int, k: int = 3) -> list[str]:
    return [s for s, _, _ in serve(model.read(model.plan(user, k)), k)]


def test_a_play_pairs_with_the_few_distinct_plays_before_it() -> None:
    assert co_played(["a", "b", "c", "b", "d"], "e", window=3) == ["d", "b", "c"]
    assert co_played(["a", "e"], "e", window=5) == ["a"]


def test_weights_halve_every_half_life() -> None:
    now = 1_790_000_000_000
    ratio = decay_weight(now + 14 * DAY_MS, 14 * DAY_MS) / decay_weight(now, 14 * DAY_MS)
    assert ratio == pytest.approx(2.0)


def test_song_ids_are_stable_tell_tracks_apart_and_name_their_artist() -> None:
    assert song_id("Björk", "Jóga") == song_id("Björk", "Jóga")
    assert song_id("A", "B|C") != song_id("A|B", "C")
    assert artist_of(song_id("Muse", "Uprising")) == artist_of(song_id("Muse", "Starlight"))
    assert artist_of(song_id("Muse", "Uprising")) != artist_of(song_id("Björk", "Jóga"))


def test_a_play_teaches_co_plays_across_artists_and_the_artist_rate_within() -> None:
    x1, x2, y1 = song("X", 1), song("X", 2), song("Y", 1)
    found = changes([Play(y1, 2.0, (x2, x1))])  # y1 right after x2, one play after x1
    assert found.scores[SetRef("neighbours", y1), x2] == 2.0
    assert found.scores[SetRef("neighbours", x2), y1] == 2.0
    assert found.scores[SetRef("neighbours", y1), x1] == 1.0  # one play further: half
    assert found.scores[SetRef("artist_neighbours", artist_of(x1)), y1] == 3.0
    assert found.scores[SetRef("artist", artist_of(y1)), y1] == 2.0
    assert found.counters[STATS, "pairs"] == 2.0 and (STATS, "same_artist") not in found.counters
    same = changes([Play(x2, 1.0, (x1,))])
    assert same.counters[STATS, "same_artist"] == 1.0
    assert same.counters[CounterRef("artist", artist_of(x1)), "same"] == 1.0
    assert not [ref for ref, _ in same.scores if ref.kind == "neighbours"]  # same artist


def test_songs_that_follow_the_last_play_come_first_and_heard_songs_never() -> None:
    model = MemoryModel(neighbours_kept=50)
    a, b, c, pop = song("A", 1), song("B", 1), song("C", 1), song("P", 1)
    for user in range(1, 30):
        listen(model, user, [a, b], t0=user * DAY_MS // 100)  # everyone goes a -> b
        listen(model, 100 + user, [pop, pop, pop, pop])  # pop is the most played song
    listen(model, 1000, [c, a])
    ranked = served(model, 1000)
    assert ranked[0] == b
    assert a not in ranked and c not in ranked  # heard
    assert pop in ranked  # popularity fills the rest


def test_after_an_artist_that_is_followed_by_itself_its_other_songs_come_first() -> None:
    model = MemoryModel(neighbours_kept=50)
    x = [song("X", n) for n in range(3)]
    others = [song(f"O{n}", 1) for n in range(12)]
    for user in range(1, 40):  # listeners stay with X, and the others are more popular
        listen(model, user, [x[0], x[1], x[2]])
        listen(model, 500 + user, others)
    listen(model, 1000, [others[0], x[0]])
    top = served(model, 1000, k=2)
    assert set(top) == {x[1], x[2]}


def test_a_new_user_gets_the_most_played_songs() -> None:
    model = MemoryModel(neighbours_kept=50)
    a, b, c = song("A", 1), song("B", 1), song("C", 1)
    listen(model, 1, [a, a, a, b, b, c])
    assert served(model, 2) == [a, b, c]


def test_where_plays_do_not_depend_on_each_other_popularity_is_served() -> None:
    """Plays drawn by popularity alone: co-plays are noise, the online judgement sees
    popularity hit more often (clearly: McNemar), and `serve` serves popularity."""
    import random

    rng = random.Random(3)
    songs = [song(f"A{n}", 1) for n in range(200)]
    weights = [1 / (n + 1) for n in range(200)]
    model = MemoryModel(neighbours_kept=50, judged_share=1.0)
    for user in range(300):
        listen(model, user, rng.choices(songs, weights, k=8), t0=user * 10_000)
    evidence = model.read(model.plan(7, 10))
    assert evidence.hits_popularity > evidence.hits_recommender
    assert serve(evidence, 10) == most_popular(evidence, 10)
    assert recommend(evidence, 10) != most_popular(evidence, 10)


def test_neighbour_sets_are_trimmed_as_redis_trims_them() -> None:
    """Lowest score first, and among equal scores the smallest member (ZREMRANGEBYRANK)."""
    model = MemoryModel(neighbours_kept=2)
    a = song("A", 1)
    for n, other in enumerate(["c", "b", "d"]):
        model.apply([SongPlayed(1, n, other, "a", "s", 1.0, (a,))])
    assert model.sets[SetRef("neighbours", a)].top(5) == [("d", 1.0), ("c", 1.0)]


def test_popularity_is_served_only_on_a_clear_lead() -> None:
    def evidence(only_recommender: float, only_popularity: float) -> Evidence:
        return Evidence(
            recent=(),
            neighbours={},
            co_totals={},
            artist_neighbours={},
            artist_co_totals={},
            artist_songs={},
            popular=[("p", 1.0)],
            plays=1.0,
            pairs=0.0,
            same_artist=0.0,
            unit=1.0,
            only_recommender=only_recommender,
            only_popularity=only_popularity,
        )

    assert not popularity_leads(evidence(1, 3))  # 2 ahead of 4 discordant plays: chance
    assert not popularity_leads(evidence(40, 55))  # 15 ahead, 2 sigma is 19.5
    assert popularity_leads(evidence(40, 70))  # 30 ahead, 2 sigma is 21


def test_plays_that_weigh_nothing_rank_without_dividing_by_zero() -> None:
    """A play far older than the decay's anchor underflows to weight 0.0 (2^-1100)."""
    model = MemoryModel(neighbours_kept=50)
    x = [song("X", n) for n in range(3)]
    for user in (1, 2):
        before: list[str] = []
        for played in x:
            model.apply([SongPlayed(user, 0, played, "a", "s", 0.0, tuple(before))])
            before.append(played)
    assert len(served(model, 1)) <= 3
    assert served(model, 3) == served(model, 3)  # a new user, from an all-zero model
