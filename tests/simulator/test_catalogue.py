from __future__ import annotations

import gzip
import statistics
from pathlib import Path
from random import Random

import pytest

from backbeat.simulator.catalogue import generated_catalogue, load_catalogue
from backbeat.simulator.float32 import as_float32


def test_generated_catalogue_is_deterministic_and_shaped() -> None:
    first, again, other = (
        generated_catalogue(5000, 3),
        generated_catalogue(5000, 3),
        generated_catalogue(5000, 4),
    )
    assert first.songs == again.songs and first.songs != other.songs
    durations = [song.duration for song in first.songs]
    assert 180 < statistics.median(durations) < 260
    assert all(30 <= d <= 900 for d in durations)
    assert all(song.genre for song in first.songs)
    assert len({song.artist for song in first.songs}) >= 5000 // 8


def test_popularity_is_zipf_like() -> None:
    catalogue = generated_catalogue(5000, 3)
    rng = Random(1)
    plays = sorted(
        (
            n
            for n in __import__("collections")
            .Counter(catalogue.pick(rng.random()) for _ in range(100_000))
            .values()
        ),
        reverse=True,
    )
    # With s=1 the top song gets about 1/H(5000) ≈ 11% of plays; the top 1% of songs ~ half of them.
    assert 0.08 < plays[0] / 100_000 < 0.14
    assert 0.4 < sum(plays[:50]) / 100_000 < 0.65


def test_eventsim_listen_counts_file(eventsim_real: Path) -> None:
    catalogue = load_catalogue(eventsim_real / "streamify" / "listen_counts.txt.gz")
    assert (
        len(catalogue) == 9989
    )  # 10,000 tracks, 11 with a count of 0 are left out as eventsim does
    assert all(song.duration > 0 for song in catalogue.songs)


def test_streamify_songs_csv(eventsim_real: Path) -> None:
    catalogue = load_catalogue(eventsim_real / "streamify" / "songs.csv")
    assert len(catalogue) == 10_000
    assert catalogue.songs[0].artist.startswith("Maria Callas")


def test_bad_song_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "listen_counts.txt.gz"
    path.write_bytes(gzip.compress(b"TR1\tA\tSong\t200.5\t3\nTR2\tB\tbroken line\n"))
    with pytest.raises(ValueError, match=rf"{path}:2: expected 5 tab-separated fields, got 3"):
        load_catalogue(path)


@pytest.mark.parametrize(
    ("value", "printed"), [(210.337509155, 210.33751), (246.30812, 246.30812), (180.0, 180.0)]
)
def test_durations_print_as_java_floats(value: float, printed: float) -> None:
    assert as_float32(value) == printed
