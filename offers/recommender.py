"""Session-based song recommendations: what to learn from each play, what to read for a
user, and how to rank. Pure logic: offers/store.py keeps the model in Redis, and
offers/evaluation.py keeps the same model in memory to measure it offline.

The model (Ludewig & Jannach's session-kNN family, kept incremental and bounded):

- **co-play**: a play adds weight to the pair it forms with each of the few plays before it
  in the session (both directions; the nearer the previous play, the more), and to each
  song's co-play total. A song's neighbours are its `neighbours_kept` best pairs.
- **artist**: each artist's most played songs, and how often a play follows a play of the
  same artist (learned, so eventsim's popularity-only choice gives it almost no weight).
- **popularity**: the most played songs and the total of all plays.

Weights decay with a half-life by *forward decay*: a play at time t adds
2^((t - ANCHOR) / half_life), so older plays count for less without rewriting stored scores.

Ranking for a user whose recent plays are s_1 (newest) .. s_m estimates the chance of each
song being played next, as a blend that trusts each signal by its evidence:

    next(b) = same_artist * P(b | artist of s_1) + (1 - same_artist) * knn(b)
    knn(b)  = sum_i r^i * (co(s_i, b) + shrink * P(b)) / (co_total(s_i) + shrink) / sum_i r^i

where P(b) is b's share of all plays. `shrink` (support shrinkage) pulls a song with few
co-plays towards popularity, so weak neighbours never outrank what popularity knows; with
much evidence the co-play counts speak for themselves. Songs in the user's recent plays
are left out.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, Protocol

#: 2024-01-01T00:00:00Z: where forward-decay weights are 1.
ANCHOR_MS = 1_704_067_200_000
#: How much each older recent play of the user counts relative to the one after it.
RECENCY_FACTOR = 0.7
#: How much a co-play counts per play between the two songs (1: adjacent plays count 1).
DISTANCE_FACTOR = 0.5
#: Support shrinkage, in plays: a song's neighbours count as much as popularity once it
#: has this much co-play weight.
SHRINK_PLAYS = 20.0
#: Recent plays read per recommendation, and their distinct artists used.
RECENT_READ = 10
ARTISTS_READ = 1
#: Members read from each neighbour set.
NEIGHBOURS_READ = 50
#: The k of hit@k that judges each play online.
JUDGE_K = 10
#: How clear popularity's lead on the judged plays must be before it is served.
SWITCH_SIGMAS = 2.0
#: Members kept per artist set and in the popular set (memory bound, see offers/keys.py).
ARTIST_KEPT = 50
POPULAR_KEPT = 1000
#: Hex characters of a song id that name its artist (the rest name the title).
ARTIST_ID_CHARS = 10
_TITLE_ID_CHARS = 12

Source = Literal["neighbours", "artist", "popular"]
SetKind = Literal["neighbours", "artist_neighbours", "artist", "popular"]
CounterKind = Literal["song", "artist", "model"]


def artist_id(artist: str) -> str:
    return hashlib.sha256(artist.encode()).hexdigest()[:ARTIST_ID_CHARS]


def song_id(artist: str, song: str) -> str:
    """A short, stable id for a track; it starts with its artist's id, so the artist of any
    song id is known without a lookup (JSON keeps "A|B","C" and "A","B|C" apart)."""
    title = hashlib.sha256(json.dumps([artist, song]).encode()).hexdigest()[:_TITLE_ID_CHARS]
    return artist_id(artist) + title


def artist_of(song: str) -> str:
    return song[:ARTIST_ID_CHARS]


def decay_weight(ts_ms: int, half_life_ms: float) -> float:
    return float(2.0 ** ((ts_ms - ANCHOR_MS) / half_life_ms))


def co_played(recent: Sequence[str], current: str, window: int) -> list[str]:
    """The songs `current` counts as played together with: the last `window` plays before
    it in the session, newest first, once each, never itself."""
    seen: list[str] = []
    for song in reversed(recent[-window:]):
        if song != current and song not in seen:
            seen.append(song)
    return seen


# -- learning ------------------------------------------------------------------------------


class SetRef(NamedTuple):
    """One sorted set of the model: a song's neighbours, an artist's songs, or popularity.
    (Tuples: a batch hashes millions of them.)"""

    kind: SetKind
    id: str = ""


class CounterRef(NamedTuple):
    """One hash of counters: a song's or an artist's, or the model's global ones."""

    kind: CounterKind
    id: str = ""


@dataclass(frozen=True, slots=True)
class Play:
    song_id: str
    weight: float
    #: The plays before it in the session, newest first (co_played).
    before: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Judgement:
    """Whether a play was among the top `k` that each ranker would have served just before
    it: the online measure of quality, and what `serve` chooses between."""

    weight: float
    recommender: bool
    popularity: bool
    user_id: int = 0
    ts: int = 0
    song_id: str = ""
    #: Which ranker `serve` was serving at that moment.
    served: Literal["recommender", "popularity"] = "recommender"


@dataclass
class ModelChanges:
    """What a batch of plays adds to the model: increments summed per member, then each
    touched set trimmed to its bound, and the weight of the newest play (the unit that
    `shrink` is counted in)."""

    scores: dict[tuple[SetRef, str], float] = field(default_factory=lambda: defaultdict(float))
    counters: dict[tuple[CounterRef, str], float] = field(
        default_factory=lambda: defaultdict(float)
    )
    unit: float = 0.0

    def trims(self, neighbours_kept: int) -> dict[SetRef, int]:
        bound = {
            "neighbours": neighbours_kept,
            "artist_neighbours": neighbours_kept,
            "artist": ARTIST_KEPT,
            "popular": POPULAR_KEPT,
        }
        return {ref: bound[ref.kind] for ref, _ in self.scores}


STATS = CounterRef("model")
STATS_READ = (
    "plays",
    "pairs",
    "same_artist",
    "unit",
    "hits_recommender",
    "hits_popularity",
    "only_recommender",
    "only_popularity",
)
POPULAR = SetRef("popular")


def changes(plays: Iterable[Play], judgements: Iterable[Judgement] = ()) -> ModelChanges:
    found = ModelChanges()
    scores, counters = found.scores, found.counters
    for judged in judgements:
        counters[STATS, "judged"] += judged.weight
        counters[STATS, "hits_recommender"] += judged.weight * judged.recommender
        counters[STATS, "hits_popularity"] += judged.weight * judged.popularity
        if judged.recommender != judged.popularity:  # the plays that tell the two apart
            winner = "only_recommender" if judged.recommender else "only_popularity"
            counters[STATS, winner] += judged.weight
    # The refs of each song and artist, made once per batch: a batch touches the same
    # popular songs thousands of times, and a NamedTuple costs more to build than to find.
    song_refs: dict[str, tuple[SetRef, CounterRef]] = {}
    artist_refs: dict[str, tuple[SetRef, CounterRef, SetRef]] = {}

    def of_song(song: str) -> tuple[SetRef, CounterRef]:
        refs = song_refs.get(song)
        if refs is None:
            refs = song_refs[song] = (SetRef("neighbours", song), CounterRef("song", song))
        return refs

    def of_artist(artist: str) -> tuple[SetRef, CounterRef, SetRef]:
        refs = artist_refs.get(artist)
        if refs is None:
            refs = artist_refs[artist] = (
                SetRef("artist_neighbours", artist),
                CounterRef("artist", artist),
                SetRef("artist", artist),
            )
        return refs

    unit = 0.0
    for play in plays:
        w, song = play.weight, play.song_id
        artist = artist_of(song)
        song_neighbours, song_counters = of_song(song)
        artist_neighbours, artist_counters, artist_songs = of_artist(artist)
        scores[POPULAR, song] += w
        scores[artist_songs, song] += w
        counters[STATS, "plays"] += w
        before = play.before
        if before:
            previous = of_artist(artist_of(before[0]))[1]
            counters[STATS, "pairs"] += w
            counters[previous, "pairs"] += w
            if previous.id == artist:
                counters[STATS, "same_artist"] += w
                counters[previous, "same"] += w
        near = w
        for other in before:
            other_artist = artist_of(other)
            if other_artist != artist:  # the artist signal covers same-artist plays
                other_neighbours, other_counters = of_song(other)
                other_artist_neighbours, other_artist_counters, _ = of_artist(other_artist)
                scores[song_neighbours, other] += near
                scores[other_neighbours, song] += near
                counters[song_counters, "co"] += near
                counters[other_counters, "co"] += near
                scores[artist_neighbours, other] += near
                scores[other_artist_neighbours, song] += near
                counters[artist_counters, "co"] += near
                counters[other_artist_counters, "co"] += near
            near *= DISTANCE_FACTOR
        unit = max(unit, w)
    found.unit = unit
    return found


# -- reading and ranking -------------------------------------------------------------------

Scored = list[tuple[str, float]]


@dataclass(frozen=True)
class ReadPlan:
    """What to read for one user whose recent plays (newest first) are known."""

    recent: tuple[str, ...]
    k: int

    @property
    def songs(self) -> list[str]:
        return list(dict.fromkeys(self.recent))

    @property
    def artists(self) -> list[str]:
        return list(dict.fromkeys(artist_of(s) for s in self.recent))

    def sets(self, neighbours_read: int) -> list[tuple[SetRef, int]]:
        """Sorted sets to read, with how many members of each."""
        wanted = [(SetRef("neighbours", s), neighbours_read) for s in self.songs]
        wanted += [(SetRef("artist_neighbours", a), neighbours_read) for a in self.artists]
        wanted += [(SetRef("artist", a), ARTIST_KEPT) for a in self.artists[:ARTISTS_READ]]
        wanted.append((POPULAR, 4 * self.k + len(self.recent)))
        return wanted

    def counters(self) -> list[tuple[CounterRef, str]]:
        wanted = [(CounterRef("song", s), "co") for s in self.songs]
        wanted += [(CounterRef("artist", a), "co") for a in self.artists]
        wanted += [
            (CounterRef("artist", a), f) for a in self.artists[:1] for f in ("pairs", "same")
        ]
        return wanted + [(STATS, f) for f in STATS_READ]

    def evidence(self, sets: Sequence[Scored], counters: Sequence[float | None]) -> Evidence:
        """The replies, in the order of `sets()` and `counters()`."""
        songs, artists = self.songs, self.artists
        n_songs, n_artists, n_own = len(songs), len(artists), len(artists[:ARTISTS_READ])
        replies = iter(sets)
        neighbours = {s: next(replies) for s in songs}
        artist_neighbours = {a: next(replies) for a in artists}
        artist_songs = {a: next(replies) for a in artists[:n_own]}
        popular = next(replies)
        totals = [c or 0.0 for c in counters]
        own = totals[n_songs + n_artists : n_songs + n_artists + 2 * min(n_artists, 1)]
        plays, pairs, same, unit, hits_recommender, hits_popularity, only_rec, only_pop = totals[
            -len(STATS_READ) :
        ]
        return Evidence(
            recent=self.recent,
            neighbours=neighbours,
            co_totals=dict(zip(songs, totals[:n_songs], strict=True)),
            artist_neighbours=artist_neighbours,
            artist_co_totals=dict(zip(artists, totals[n_songs : n_songs + n_artists], strict=True)),
            artist_songs=artist_songs,
            popular=popular,
            plays=plays,
            pairs=pairs,
            same_artist=same,
            unit=unit,
            hits_recommender=hits_recommender,
            hits_popularity=hits_popularity,
            only_recommender=only_rec,
            only_popularity=only_pop,
            newest_artist_pairs=own[0] if own else 0.0,
            newest_artist_same=own[1] if own else 0.0,
        )


@dataclass(frozen=True)
class Evidence:
    recent: tuple[str, ...]
    neighbours: Mapping[str, Scored]
    co_totals: Mapping[str, float]
    artist_neighbours: Mapping[str, Scored]
    artist_co_totals: Mapping[str, float]
    artist_songs: Mapping[str, Scored]
    popular: Scored
    plays: float
    pairs: float
    same_artist: float
    unit: float
    #: Decayed hits of each ranker over the plays judged so far (Judgement).
    hits_recommender: float = 0.0
    hits_popularity: float = 0.0
    #: Of those, the plays only one of the two had in its top 10 (McNemar's discordant pairs).
    only_recommender: float = 0.0
    only_popularity: float = 0.0
    #: How often plays of the newest play's artist were followed by the same artist.
    newest_artist_pairs: float = 0.0
    newest_artist_same: float = 0.0


def recommend(evidence: Evidence, k: int) -> list[tuple[str, float, Source]]:
    """Top `k` songs for the user: (song id, estimated chance of being played next, which
    signal put it there). Popular songs fill what the evidence cannot."""
    if evidence.unit <= 0:  # nothing learned yet, or every weight decayed to nothing
        return most_popular(evidence, k)
    heard = set(evidence.recent)
    prior = {s: w / evidence.plays for s, w in evidence.popular} if evidence.plays > 0 else {}
    shrink = SHRINK_PLAYS * evidence.unit
    scores: dict[str, float] = defaultdict(float)
    source: dict[str, Source] = {}
    weight, weights, to_prior = 1.0, 0.0, 0.0
    for song in dict.fromkeys(evidence.recent):
        # p(b | song) = (co(song, b) + shrink * p(b | artist)) / (co_total(song) + shrink)
        # p(b | artist) = (co(artist, b) + shrink * P(b)) / (co_total(artist) + shrink)
        song_total = evidence.co_totals.get(song, 0.0) + shrink
        for other, co in evidence.neighbours.get(song, []):
            scores[other] += weight * co / song_total
            source.setdefault(other, "neighbours")
        to_artist = weight * shrink / song_total
        artist = artist_of(song)
        artist_total = evidence.artist_co_totals.get(artist, 0.0) + shrink
        for other, co in evidence.artist_neighbours.get(artist, []):
            scores[other] += to_artist * co / artist_total
            source.setdefault(other, "neighbours")
        to_prior += to_artist * shrink / artist_total
        weights += weight
        weight *= RECENCY_FACTOR
    if not weights:
        to_prior, weights = 1.0, 1.0
    for song, p in prior.items():
        scores[song] += to_prior * p
    for song in scores:
        scores[song] /= weights
    if not evidence.recent:
        return _top(scores, heard, source, k)
    # Co-play counts only plays of another artist: the newest artist's songs come from the
    # artist signal alone, at the rate its plays are followed by its own songs (learned per
    # artist, shrunk towards the rate over all artists).
    newest = evidence.recent[0]
    overall = evidence.same_artist / evidence.pairs if evidence.pairs > 0 else 0.0
    same = (
        (evidence.newest_artist_same + shrink * overall) / (evidence.newest_artist_pairs + shrink)
        if shrink > 0
        else overall
    )
    for song in scores:
        own = artist_of(song) == artist_of(newest)
        scores[song] = 0.0 if own else scores[song] * (1 - same)
    # The rate is learned from plays that follow another song (co_played never holds the
    # song itself), so the artist's songs are shared out without the newest play.
    others = [(s, w) for s, w in evidence.artist_songs.get(artist_of(newest), []) if s != newest]
    artist_plays = sum(w for _, w in others)
    if artist_plays <= 0:  # every play of the artist decayed to nothing
        others = []
    for other, w in others:
        scores[other] += same * w / artist_plays
        if source.get(other) != "neighbours":
            source[other] = "artist"
    return _top(scores, heard, source, k)


def _top(
    scores: Mapping[str, float], heard: set[str], source: Mapping[str, Source], k: int
) -> list[tuple[str, float, Source]]:
    ranked = sorted(
        ((s, x) for s, x in scores.items() if s not in heard), key=lambda item: (-item[1], item[0])
    )
    return [(s, x, source.get(s, "popular")) for s, x in ranked[:k]]


def serve(evidence: Evidence, k: int) -> list[tuple[str, float, Source]]:
    """What a user is served: the recommender's ranking, unless popularity has been hitting
    more of the plays judged so far (online model selection), so serving is never worse
    than the baseline for long, whatever the catalogue and the listeners are like.

    Only the plays one ranker had and the other missed tell them apart; popularity is served
    once it leads on those by more than `SWITCH_SIGMAS` standard deviations of a fair coin
    (McNemar's test), so a few judged plays never flip the choice back and forth."""
    if popularity_leads(evidence):
        return most_popular(evidence, k)
    return recommend(evidence, k)


def popularity_leads(evidence: Evidence) -> bool:
    unit = evidence.unit or 1.0
    ours, theirs = evidence.only_recommender / unit, evidence.only_popularity / unit
    return theirs - ours > SWITCH_SIGMAS * math.sqrt(ours + theirs)


def is_judged(user_id: int, ts_ms: int, share: float) -> bool:
    """Whether a play is judged: a stable draw per (user, time), so a replay and the
    offline evaluation judge the same plays."""
    return share >= 1 or zlib.crc32(f"{user_id}:{ts_ms}".encode()) < share * 2**32


def judge(evidence: Evidence, play: Played, k: int) -> Judgement:
    """Would the song played have been among the top `k` of each ranker, given `evidence`?"""
    popular_served = popularity_leads(evidence)
    return Judgement(
        play.weight,
        any(song == play.song_id for song, _, _ in recommend(evidence, k)),
        any(song == play.song_id for song, _, _ in most_popular(evidence, k)),
        play.user_id,
        play.ts,
        play.song_id,
        "popularity" if popular_served else "recommender",
    )


class Played(Protocol):
    """A play as the sessions dataflow reports it (offers.activity.SongPlayed)."""

    @property
    def user_id(self) -> int: ...
    @property
    def ts(self) -> int: ...
    @property
    def song_id(self) -> str: ...
    @property
    def weight(self) -> float: ...


def most_popular(evidence: Evidence, k: int) -> list[tuple[str, float, Source]]:
    """The baseline: the most played songs the user has not heard recently."""
    heard = set(evidence.recent)
    return [(s, w, "popular") for s, w in evidence.popular if s not in heard][:k]
