"""The taste model (`--taste`): users with favourite genres, sessions that drift along
similar songs.

eventsim draws every song by global popularity, independently of the user and of the
previous song, so on its data nothing can recommend better than "most popular". With the
taste model each user has one to three favourite genres, and each next song in a session is

- by the same artist as the previous song, with probability `same_artist`;
- else from the previous song's genre, with probability `same_genre`;
- else from one of the user's favourite genres, with probability `favourite`;
- else from the whole catalogue by popularity (exploration).

Within each choice songs are drawn by popularity, so popular songs stay popular, but never
the previous song again: an artist's few songs have very unequal popularity, and drawing
"another song by the same artist" by popularity alone gave back the song just played 70% of
the time (a quarter of all plays were the same song twice in a row, which no listener
does that often and which made "replay the last songs" the best predictor of the data).
Songs of a loaded catalogue that has no genres are grouped by artist into 16 pseudo-genres.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass
from random import Random

from backbeat.simulator.catalogue import Song, SongCatalogue
from backbeat.simulator.people import WeightedTable

_PSEUDO_GENRES = 16
#: Draws before a pick takes the slow, exact way of avoiding the previous song.
_REDRAWS = 20


def genre_of(song: Song) -> str:
    """The song's genre, or a stable pseudo-genre from its artist when the catalogue has none."""
    if song.genre:
        return song.genre
    return f"group-{zlib.crc32(song.artist.encode()) % _PSEUDO_GENRES}"


@dataclass(frozen=True, slots=True)
class Listener:
    """A user's favourite genres with their weights."""

    genres: WeightedTable[str]


@dataclass(frozen=True)
class TasteParams:
    same_artist: float = 0.3
    same_genre: float = 0.3
    favourite: float = 0.3


class TasteModel:
    def __init__(self, catalogue: SongCatalogue, params: TasteParams | None = None) -> None:
        self.catalogue = catalogue
        self.params = params or TasteParams()
        by_genre: dict[str, list[int]] = defaultdict(list)
        by_artist: dict[str, list[int]] = defaultdict(list)
        for index, song in enumerate(catalogue.songs):
            by_genre[genre_of(song)].append(index)
            by_artist[song.artist].append(index)
        weights = catalogue.weights
        self._genre_songs = {
            genre: WeightedTable([catalogue.songs[i] for i in idx], [weights[i] for i in idx])
            for genre, idx in by_genre.items()
        }
        self._artist_songs = {
            artist: WeightedTable([catalogue.songs[i] for i in idx], [weights[i] for i in idx])
            for artist, idx in by_artist.items()
        }
        genre_weight = {genre: sum(weights[i] for i in idx) for genre, idx in by_genre.items()}
        self._genres = WeightedTable(list(genre_weight), list(genre_weight.values()))

    def new_listener(self, rng: Random) -> Listener:
        """One to three favourite genres, more popular genres more often, unequal weights."""
        count = 1 + int(rng.random() * 3)
        favourites: list[str] = []
        while len(favourites) < min(count, len(self._genre_songs)):
            genre = self._genres.pick(rng)
            if genre not in favourites:
                favourites.append(genre)
        return Listener(WeightedTable(favourites, [rng.random() + 0.2 for _ in favourites]))

    def pick(self, listener: Listener, previous: Song | None, rng: Random) -> Song:
        """The next song for `listener` after `previous` (None at the start of a session):
        another song than `previous` from the same choice, unless it has no other."""
        table = self._choice(listener, previous, rng)
        for _ in range(_REDRAWS):
            song = self.catalogue.pick(rng.random()) if table is None else table.pick(rng)
            if song is not previous:
                return song
        # An artist whose previous song outweighs the others thousands of times over.
        return song if table is None or previous is None else table.pick_other(previous, rng)

    def _choice(
        self, listener: Listener, previous: Song | None, rng: Random
    ) -> WeightedTable[Song] | None:
        """The songs to draw from; None: the whole catalogue (exploration)."""
        u, p = rng.random(), self.params
        if previous is not None:
            if u < p.same_artist:
                return self._artist_songs[previous.artist]
            if u < p.same_artist + p.same_genre:
                return self._genre_songs[genre_of(previous)]
        if u < p.same_artist + p.same_genre + p.favourite or (previous is None and u < 0.9):
            return self._genre_songs[listener.genres.pick(rng)]
        return None
