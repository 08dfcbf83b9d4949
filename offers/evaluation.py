"""Offline evaluation of the recommender: time-split, next-play, against popularity.

Events are played in time order through the sessions dataflow's own per-key logic
(offers/activity.py) into the recommender's model, kept in memory with the semantics Redis
gives it (offers/store.py does the same writes and reads on Redis); recommendations come
from the same `ReadPlan` and `recommend` the API uses. From the split on (by default the
last 20% of events), every play of a known user is first predicted from the model as it
stands just before it (hit@k, MRR@k), then learned, as the live system would: this is
*prequential* evaluation (Vinagre et al., 2014). The popularity baseline is ranked from the
same model at the same moment.

One more figure is what the live system can be compared with after a replay of the
training period: each user's first play after the split, predicted from the model frozen
at the split (`first_play_after_split`).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backbeat.events.codec import EventDecodeError
from backbeat.events.schemas import PageViewEvent
from backbeat.events.sources import (
    EventFileReader,
    input_files,
    read_lines,
    topic_from_file_name,
)
from backbeat.settings.sessions import SessionsSettings
from offers.activity import ActivityConfig, KeyActivity, SongPlayed
from offers.engine import OfferEngine
from offers.features import PageView, page_view
from offers.keys import RECENT_PLAYS
from offers.recommender import (
    JUDGE_K,
    NEIGHBOURS_READ,
    RECENT_READ,
    STATS,
    CounterRef,
    Evidence,
    ReadPlan,
    Scored,
    SetRef,
    Source,
    changes,
    is_judged,
    judge,
    most_popular,
    serve,
    song_id,
)
from offers.rules import RuleSet

Ranker = Callable[[Evidence, int], list[tuple[str, float, Source]]]
RANKERS: dict[str, Ranker] = {"recommender": serve, "popularity": most_popular}
PAGE_VIEWS = "page_view_events"


class SortedSet:
    """A Redis sorted set whose scores only grow (ZINCRBY by weights > 0), trimmed as
    ZREMRANGEBYRANK trims: the lowest score, then the smallest member, goes first. A heap of
    (score, member) with stale entries skipped finds the lowest in O(log n)."""

    __slots__ = ("_heap", "scores")

    def __init__(self) -> None:
        self.scores: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    def incr(self, member: str, weight: float) -> None:
        score = self.scores.get(member, 0.0) + weight
        self.scores[member] = score
        heapq.heappush(self._heap, (score, member))

    def trim(self, kept: int) -> None:
        scores, heap = self.scores, self._heap
        while len(scores) > kept:
            score, member = heapq.heappop(heap)
            if scores.get(member) == score:
                del scores[member]
        if len(heap) > 4 * max(kept, 16):  # drop stale entries now and then
            self._heap = [(s, m) for m, s in scores.items()]
            heapq.heapify(self._heap)

    def top(self, n: int) -> Scored:
        """ZREVRANGE 0 n-1 WITHSCORES: highest score, then largest member, first."""
        return heapq.nlargest(n, self.scores.items(), key=lambda kv: (kv[1], kv[0]))


class MemoryModel:
    """The recommender's model in memory, as Redis holds it (SortedSet, HINCRBYFLOAT, and
    each user's recent plays as LPUSH + LTRIM)."""

    def __init__(self, neighbours_kept: int, judged_share: float = 0.02) -> None:
        self.neighbours_kept = neighbours_kept
        self.judged_share = judged_share
        self.sets: dict[SetRef, SortedSet] = defaultdict(SortedSet)
        self.counters: dict[CounterRef, dict[str, float]] = defaultdict(dict)
        self.recent: dict[int, list[str]] = defaultdict(list)

    def apply(self, plays: Sequence[SongPlayed]) -> None:
        """What RedisOfferStore.apply does with a batch of plays: judged, then learned."""
        judgements = [
            judge(self.read(self.plan(p.user_id, JUDGE_K)), p, JUDGE_K)
            for p in plays
            if is_judged(p.user_id, p.ts, self.judged_share)
        ]
        found = changes((play.as_play() for play in plays), judgements)
        for (ref, member), weight in found.scores.items():
            self.sets[ref].incr(member, weight)
        for set_ref, kept in found.trims(self.neighbours_kept).items():
            self.sets[set_ref].trim(kept)
        for (counters, name), weight in found.counters.items():
            values = self.counters[counters]
            values[name] = values.get(name, 0.0) + weight
        if plays:
            stats = self.counters[STATS]
            stats["unit"] = max(stats.get("unit", 0.0), found.unit)
        for play in plays:
            recent = self.recent[play.user_id]
            recent.insert(0, play.song_id)
            del recent[RECENT_PLAYS:]

    def plan(self, user_id: int, k: int) -> ReadPlan:
        return ReadPlan(tuple(self.recent.get(user_id, [])[:RECENT_READ]), k)

    def read(self, plan: ReadPlan) -> Evidence:
        empty = SortedSet()
        sets = [self.sets.get(ref, empty).top(n) for ref, n in plan.sets(NEIGHBOURS_READ)]
        counters = [self.counters.get(ref, {}).get(name) for ref, name in plan.counters()]
        return plan.evidence(sets, counters)


@dataclass
class Score:
    """hit@k, MRR@k and coverage of one ranker over its cases."""

    cases: int = 0
    hits: int = 0
    reciprocal_ranks: float = 0.0
    recommended: set[str] = field(default_factory=set)

    def add(self, ranked: list[tuple[str, float, Source]], played: str) -> None:
        self.cases += 1
        ids = [song for song, _, _ in ranked]
        self.recommended.update(ids)
        if played in ids:
            self.hits += 1
            self.reciprocal_ranks += 1 / (ids.index(played) + 1)

    def figures(self, catalogue: int) -> dict[str, float | int]:
        cases = max(self.cases, 1)
        return {
            "cases": self.cases,
            "hit_at_k": round(self.hits / cases, 5),
            "mrr_at_k": round(self.reciprocal_ranks / cases, 5),
            "coverage": round(len(self.recommended) / max(catalogue, 1), 5),
        }


@dataclass(frozen=True)
class Evaluation:
    k: int
    split: float
    #: Event time (ms) of the split: plays from then on are predicted.
    split_ts_ms: int
    events: int
    plays_trained: int
    songs_trained: int
    prequential: dict[str, Score]
    first_play_after_split: dict[str, Score]
    #: What each user with a play after the split is served at the split (song ids).
    served_at_split: dict[int, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def block(scores: dict[str, Score]) -> dict[str, Any]:
            figures: dict[str, Any] = {
                name: s.figures(self.songs_trained) for name, s in scores.items()
            }
            rec, pop = figures["recommender"], figures["popularity"]
            figures["ratio"] = {
                m: round(float(rec[m]) / float(pop[m]), 3) if pop[m] else None
                for m in ("hit_at_k", "mrr_at_k", "coverage")
            }
            return figures

        return {
            "k": self.k,
            "split": self.split,
            "split_ts_ms": self.split_ts_ms,
            "page_views": self.events,
            "plays_before_split": self.plays_trained,
            "songs_before_split": self.songs_trained,
            "prequential": block(self.prequential),
            "first_play_after_split": block(self.first_play_after_split),
        }


def evaluate(
    views: Sequence[PageView],
    sessions: SessionsSettings,
    split: float = 0.8,
    k: int = 10,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Evaluate on page views in time order (sort them first: eventsim's files are)."""
    if not views:
        raise ValueError("no page views to evaluate on")
    if not 0 < split < 1:
        raise ValueError(f"split must be between 0 and 1, not {split}")
    config = ActivityConfig.from_settings(sessions)
    engine = OfferEngine(RuleSet(version=1, rules=[]))
    model = MemoryModel(sessions.neighbours_kept, sessions.recommendations_judged_share)
    activities: dict[str, KeyActivity] = {}
    split_ts = views[int(len(views) * split)].ts
    first_after: dict[int, str] = {}
    for view in views:
        if view.ts >= split_ts and view.is_play and view.user_id is not None:
            first_after.setdefault(view.user_id, _played(view))
    prequential = {name: Score() for name in RANKERS}
    frozen = {name: Score() for name in RANKERS}
    plays_trained, songs_trained, testing = 0, 0, False
    songs_heard: set[str] = set()
    served_at_split: dict[int, list[str]] = {}
    for index, view in enumerate(views):
        if view.ts >= split_ts and not testing:
            testing = True
            songs_trained = len(songs_heard)
            served_at_split = _score_all(model, first_after.items(), frozen, k)
        if testing and view.is_play and view.user_id is not None:
            _score_all(model, [(view.user_id, _played(view))], prequential, k)
        activity = activities.get(view.key)
        if activity is None:
            activity = activities[view.key] = KeyActivity.new(view.key, config)
        effects = activity.on_view(view, engine, config)
        model.apply([e for e in effects if isinstance(e, SongPlayed)])
        if not testing and view.is_play and view.user_id is not None:
            plays_trained += 1
            songs_heard.add(_played(view))
        if progress is not None and index % 50_000 == 0:
            progress(index)
    return Evaluation(
        k=k,
        split=split,
        split_ts_ms=split_ts,
        events=len(views),
        plays_trained=plays_trained,
        songs_trained=songs_trained,
        prequential=prequential,
        first_play_after_split=frozen,
        served_at_split=served_at_split,
    )


def _played(view: PageView) -> str:
    assert view.artist is not None and view.song is not None
    return song_id(view.artist, view.song)


def _score_all(
    model: MemoryModel, cases: Iterable[tuple[int, str]], scores: dict[str, Score], k: int
) -> dict[int, list[str]]:
    """Score each (user, next play) case; returns what the recommender served each user."""
    served: dict[int, list[str]] = {}
    for user_id, played in cases:
        evidence = model.read(model.plan(user_id, k))
        for name, rank in RANKERS.items():
            ranked = rank(evidence, k)
            scores[name].add(ranked, played)
            if name == "recommender":
                served[user_id] = [song for song, _, _ in ranked]
    return served


def read_page_views(paths: Sequence[Path]) -> tuple[list[PageView], int]:
    """Page views from eventsim output (either format, files or directories), in time
    order, and how many lines were skipped as unreadable."""
    views: list[PageView] = []
    skipped = 0
    for view in _views(paths):
        if view is None:
            skipped += 1
        else:
            views.append(view)
    views.sort(key=lambda v: v.ts)  # stable: equal times keep their file order
    return views, skipped


def _views(paths: Sequence[Path]) -> Iterator[PageView | None]:
    reader = EventFileReader()
    for path in input_files(paths):
        topic = topic_from_file_name(path)
        if topic is not None and topic != PAGE_VIEWS:
            continue  # eventsim's file mode: the other topics add nothing here
        for line in read_lines(path):
            try:
                found = reader.records(line, topic)
            except EventDecodeError:
                yield None
                continue
            for record_topic, record in found:
                if record_topic == PAGE_VIEWS:
                    assert isinstance(record, PageViewEvent)
                    yield page_view(record)
