"""With --taste, what a user plays depends on them and on the previous song; without it,
it does not (eventsim's behaviour). Measured on the output, against each other."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from typing import Any

import pytest

from backbeat.simulator.catalogue import generated_catalogue
from backbeat.simulator.config import SimulationConfig
from backbeat.simulator.engine import SimulationParams, Simulator
from backbeat.simulator.taste import TasteModel, genre_of
from tests.simulator.conftest import DAY_MS, MONDAY


def _listens(config: SimulationConfig, taste: bool) -> list[Any]:
    catalogue = generated_catalogue(3000, 5)
    params = SimulationParams(start_ms=MONDAY, end_ms=MONDAY + 7 * DAY_MS, n_users=400, seed=5)
    simulator = Simulator(config, catalogue, params, TasteModel(catalogue) if taste else None)
    return [e.record for e in simulator.events() if e.topic == "listen_events"]


def _same_artist_share(listens: list[Any]) -> float:
    by_session: dict[int, list[Any]] = defaultdict(list)
    for listen in listens:
        by_session[listen.session_id].append(listen)
    pairs = same = 0
    for songs in by_session.values():
        for first, second in itertools.pairwise(songs):
            pairs += 1
            same += first.artist == second.artist
    return same / pairs


def _top_genre_share(listens: list[Any]) -> float:
    """How concentrated each user's listening is on their single most played genre."""
    catalogue = generated_catalogue(3000, 5)
    genre = {(s.artist, s.title): genre_of(s) for s in catalogue.songs}
    per_user: dict[int, Counter[str]] = defaultdict(Counter)
    for listen in listens:
        per_user[listen.user_id][genre[(listen.artist, listen.song)]] += 1
    heavy = [c for c in per_user.values() if sum(c.values()) >= 30]
    return sum(c.most_common(1)[0][1] / sum(c.values()) for c in heavy) / len(heavy)


@pytest.fixture(scope="module")
def plain(example_config: SimulationConfig) -> list[Any]:
    return _listens(example_config, taste=False)


@pytest.fixture(scope="module")
def tasteful(example_config: SimulationConfig) -> list[Any]:
    return _listens(example_config, taste=True)


def test_sessions_drift_along_the_same_artist_only_with_taste(
    plain: list[Any], tasteful: list[Any]
) -> None:
    # Popularity alone: consecutive songs share an artist about as often as two random plays.
    assert _same_artist_share(plain) < 0.05
    assert _same_artist_share(tasteful) > 0.25


def test_users_concentrate_on_favourite_genres_only_with_taste(
    plain: list[Any], tasteful: list[Any]
) -> None:
    assert _top_genre_share(tasteful) > _top_genre_share(plain) + 0.2


def _repeat_share(listens: list[Any]) -> float:
    """How often a session plays the song it just played."""
    by_session: dict[int, list[Any]] = defaultdict(list)
    for listen in listens:
        by_session[listen.session_id].append(listen)
    pairs = [p for songs in by_session.values() for p in itertools.pairwise(songs)]
    return sum((a.artist, a.song) == (b.artist, b.song) for a, b in pairs) / len(pairs)


def test_a_song_never_directly_follows_itself_with_taste(tasteful: list[Any]) -> None:
    """Drawn by popularity, an artist's dominant song came back 70% of the time the
    session stayed with the artist: a quarter of all plays were the song just played."""
    assert _repeat_share(tasteful) < 0.001
