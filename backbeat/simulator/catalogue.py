"""The songs users play: a generated catalogue by default, or eventsim's song files.

eventsim's own song file (Million Song Dataset titles with Taste Profile counts) cannot ship
with Backbeat. The default catalogue is generated, deterministic for a seed and licence-free:
invented artists and titles, log-normal durations, Zipf-like popularity and a genre per artist.
Users who have eventsim's files load them with `--songs PATH`:

- `listen_counts.txt.gz`: gzip TSV `track_id, artist, title, duration_s, count` (eventsim,
  streamify); tracks with count 0 are left out, as eventsim does; a missing duration is 180 s.
- `songs.csv`: streamify's MSD 10k subset (`artist_name`, `title`, `duration`, ...); it has no
  play counts, so every song weighs the same.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from random import Random

from backbeat.simulator.float32 import as_float32

DEFAULT_DURATION_S = 180.0

GENRES = (
    "pop",
    "rock",
    "hip hop",
    "electronic",
    "indie",
    "r&b",
    "country",
    "jazz",
    "classical",
    "metal",
    "folk",
    "latin",
    "reggae",
    "blues",
    "soul",
    "punk",
)
_ADJECTIVES = (
    "Velvet",
    "Electric",
    "Silent",
    "Golden",
    "Broken",
    "Crimson",
    "Lonely",
    "Wild",
    "Neon",
    "Hollow",
    "Midnight",
    "Paper",
    "Silver",
    "Burning",
    "Frozen",
    "Gentle",
    "Restless",
    "Distant",
    "Bitter",
    "Sweet",
    "Glass",
    "Lucky",
    "Wandering",
    "Quiet",
    "Savage",
    "Tender",
    "Faded",
    "Cosmic",
    "Rusty",
    "Honest",
    "Northern",
    "Southern",
    "Secret",
    "Little",
    "Endless",
    "Hidden",
)
_NOUNS = (
    "Foxes",
    "Harbors",
    "Rivers",
    "Machines",
    "Saints",
    "Echoes",
    "Wolves",
    "Lanterns",
    "Pilots",
    "Horses",
    "Shadows",
    "Gardens",
    "Mirrors",
    "Engines",
    "Sparrows",
    "Oceans",
    "Cities",
    "Dreams",
    "Kites",
    "Ghosts",
    "Diamonds",
    "Satellites",
    "Tigers",
    "Bridges",
    "Comets",
    "Roses",
    "Thieves",
    "Strangers",
    "Heroes",
    "Islands",
    "Canyons",
    "Stars",
    "Storms",
    "Hearts",
    "Clouds",
    "Towers",
)
_TITLE_WORDS = (
    "Love",
    "Night",
    "Fire",
    "Heart",
    "Rain",
    "Home",
    "Summer",
    "Dance",
    "Light",
    "Road",
    "Sky",
    "Time",
    "Gold",
    "Water",
    "Dream",
    "Ghost",
    "Shadow",
    "Morning",
    "River",
    "Window",
    "Highway",
    "Sugar",
    "Thunder",
    "Echo",
    "Paradise",
    "Stranger",
    "Satellite",
    "Fever",
    "Heaven",
    "Ocean",
    "Wildfire",
    "Starlight",
    "Daylight",
    "Moon",
    "Blue",
    "Ashes",
    "Honey",
    "Letter",
    "Promise",
)
_TITLE_FORMS = (
    "{a}",
    "{a} {b}",
    "The {a}",
    "{a} of {b}",
    "My {a}",
    "{a} Tonight",
    "No More {a}",
    "{a} in the {b}",
    "Call It {a}",
    "Under the {a}",
    "{a} Again",
    "Last {a}",
)


@dataclass(frozen=True, slots=True)
class Song:
    artist: str
    title: str
    duration: float
    genre: str | None = None


class SongCatalogue:
    """Songs with a play weight; `pick` draws one the way eventsim does (by weight, any user)."""

    def __init__(self, songs: list[Song], weights: list[float], source: str) -> None:
        if not songs:
            raise ValueError(f"no playable songs in {source}")
        self.songs = songs
        self.weights = weights
        self.source = source
        self._cumulative = list(accumulate(weights))
        self._total = self._cumulative[-1]

    def __len__(self) -> int:
        return len(self.songs)

    def pick(self, u: float) -> Song:
        return self.songs[bisect_right(self._cumulative, u * self._total)]


def generated_catalogue(n_songs: int = 20_000, seed: int = 0, zipf_s: float = 1.0) -> SongCatalogue:
    """A deterministic invented catalogue: about 8 songs per artist, Zipf popularity."""
    rng = Random(f"backbeat-catalogue-{seed}")
    n_artists = max(1, n_songs // 8)
    artists: list[tuple[str, str]] = []
    taken: set[str] = set()
    while len(artists) < n_artists:
        name = f"{rng.choice(('The ', ''))}{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        if name in taken:
            name = f"{name} {len(artists)}"
        taken.add(name)
        artists.append((name, rng.choice(GENRES)))
    songs = []
    for index in range(n_songs):
        artist, genre = artists[index % n_artists] if index < n_artists else rng.choice(artists)
        first, second = rng.sample(_TITLE_WORDS, 2)
        title = rng.choice(_TITLE_FORMS).format(a=first, b=second)
        seconds = min(900.0, max(30.0, math.exp(rng.gauss(math.log(220.0), 0.3)) + rng.random()))
        songs.append(Song(artist, title, as_float32(seconds), genre))
    ranks = list(range(1, n_songs + 1))
    rng.shuffle(ranks)
    weights = [1.0 / rank**zipf_s for rank in ranks]
    return SongCatalogue(songs, weights, f"generated ({n_songs} songs, seed {seed})")


def _text(path: Path) -> str:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # eventsim's original file is ISO-8859-1
        return data.decode("latin-1")


def load_listen_counts(path: Path) -> SongCatalogue:
    """eventsim's `listen_counts.txt.gz`: track_id, artist, title, duration, count."""
    songs, weights = [], []
    for line_no, line in enumerate(_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            raise ValueError(
                f"{path}:{line_no}: expected 5 tab-separated fields, got {len(fields)}"
            )
        _, artist, title, duration, count = fields
        try:
            plays = float(count)
            seconds = float(duration) if duration.strip() else DEFAULT_DURATION_S
        except ValueError:
            raise ValueError(f"{path}:{line_no}: duration and count must be numbers") from None
        if plays > 0:
            songs.append(Song(artist, title, as_float32(seconds)))
            weights.append(plays)
    return SongCatalogue(songs, weights, str(path))


def load_songs_csv(path: Path) -> SongCatalogue:
    """streamify's `songs.csv` (MSD 10k subset); no counts, so equal weights."""
    reader = csv.DictReader(io.StringIO(_text(path)))
    missing = {"artist_name", "title", "duration"} - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"{path}:1: missing columns {sorted(missing)}")
    songs = []
    for row in reader:
        try:
            seconds = float(row["duration"]) if row["duration"] else DEFAULT_DURATION_S
        except ValueError:
            raise ValueError(f"{path}:{reader.line_num}: duration must be a number") from None
        songs.append(Song(row["artist_name"], row["title"], as_float32(seconds)))
    return SongCatalogue(songs, [1.0] * len(songs), str(path))


def load_catalogue(path: Path) -> SongCatalogue:
    """Either song file format, by its name."""
    if path.name.endswith(".csv") or path.name.endswith(".csv.gz"):
        return load_songs_csv(path)
    return load_listen_counts(path)
