"""The real-time store in Redis: written by the sessions dataflow, read by the API and
`backbeat offers`. Key layout: offers/keys.py; the reads: offers/store_reads.py; clients and
configuration: offers/store_config.py.

Writes are pipelined, one round trip per batch of effects. Losing Redis loses no history:
every decision is also on the `offers` topic, and the rest is rebuilt from the event topics.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

import msgspec

from backbeat.settings import Settings
from offers.activity import (
    Effect,
    LateEvent,
    OfferDecided,
    SessionClosed,
    SessionUpdated,
    SongPlayed,
)
from offers.keys import RECENT_PLAYS, SONG_TTL_S
from offers.model_script import SCRIPT
from offers.recommender import (
    JUDGE_K,
    POPULAR,
    RECENT_READ,
    STATS,
    Judgement,
    ReadPlan,
    changes,
    is_judged,
    judge,
)
from offers.store_config import StoreConfig, sync_client
from offers.store_reads import Read, StoreReads, read_sync, text
from offers.store_topology import SyncClient, topology_of

_encode = msgspec.json.encode
T = TypeVar("T")


class RedisOfferStore:
    """The store on the sync client: the sessions dataflow's writes, and every read."""

    def __init__(self, client: SyncClient, config: StoreConfig | None = None) -> None:
        self.client = client
        self.topology = topology_of(client)
        self.config = config or StoreConfig()
        self.keys = self.config.keys
        self.reads = StoreReads(self.keys)
        self._script = client.register_script(SCRIPT)

    @classmethod
    def from_settings(cls, settings: Settings, timeout_s: float = 1.0) -> RedisOfferStore:
        """The configured store; each Redis call waits at most `timeout_s`."""
        return cls(sync_client(settings.redis, timeout_s), StoreConfig.from_settings(settings))

    # -- writing (the sessions dataflow) -------------------------------------------------

    def apply(self, effects: Iterable[Effect], now_ms: int | None = None) -> list[Judgement]:
        """Write a batch of effects in one pipelined round trip (holdout offers excluded:
        they exist only on the `offers` topic), and return how the batch's judged plays
        fared. Features are written once per user per batch, the newest: each update
        replaces the whole session hash anyway."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        pipe = self.client.pipeline(transaction=False)
        judgements: list[Judgement] = []
        latest: dict[int, SessionUpdated] = {}  # a user's features: only the newest counts
        plays: list[SongPlayed] = []
        for effect in effects:
            if isinstance(effect, SessionUpdated):
                latest[effect.user_id] = effect
            elif isinstance(effect, OfferDecided):
                decision = effect.decision
                if decision.holdout:
                    continue
                key = self.keys.offers(decision.user_id)
                pipe.hset(key, decision.offer_id, _encode(decision.as_dict()))
                until_expiry_s = (decision.expires_at_ms - now_ms) // 1000
                pipe.expire(key, max(self.config.user_ttl_s, until_expiry_s), gt=True)
                pipe.expire(key, max(self.config.user_ttl_s, until_expiry_s), nx=True)
            elif isinstance(effect, SongPlayed):
                plays.append(effect)
            elif isinstance(effect, LateEvent):
                pipe.hincrby(self.keys.stats, "late_events", 1)
            elif isinstance(effect, SessionClosed):
                pipe.hincrby(self.keys.stats, "sessions_closed", 1)
                if effect.agrees_with_eventsim:
                    pipe.hincrby(self.keys.stats, "sessions_agreeing_with_eventsim", 1)
        for user_id, update in latest.items():
            key = self.keys.session(user_id)
            pipe.delete(key)  # the current session replaces the previous one whole
            pipe.hset(key, mapping={k: _encode(v) for k, v in update.features.items()})
            pipe.expire(key, self.config.user_ttl_s)
        if plays:
            judgements = self._played(pipe, plays)
        pipe.execute()
        return judgements

    def _played(self, pipe: Any, plays: list[SongPlayed]) -> list[Judgement]:
        """A batch's plays: judged against what Redis would serve just before them (one
        round trip to find the users' recent plays, one to read the model), then the
        model's increments, each touched set trimmed and each key expired once, as one
        script call (offers/model_script.py)."""
        keys = self.keys
        judgements = self._judge(plays)
        found = changes((play.as_play() for play in plays), judgements)
        write = self.topology.model_write()
        for (ref, member), weight in found.scores.items():
            write.zincrby(keys.of_set(ref), member, weight)
        for set_ref, kept in found.trims(self.config.neighbours_kept).items():
            write.trim(keys.of_set(set_ref), kept)
            if set_ref != POPULAR:
                write.expire(keys.of_set(set_ref), SONG_TTL_S)
        for (counters, name), weight in found.counters.items():
            write.hincrbyfloat(keys.of_counters(counters), name, weight)
        for counters in {counters for counters, _ in found.counters if counters != STATS}:
            write.expire(keys.of_counters(counters), SONG_TTL_S)
        for play in {play.song_id: play for play in plays}.values():
            write.hset2(keys.song(play.song_id), ("artist", play.artist), ("song", play.song))
        recent: dict[int, list[str]] = defaultdict(list)
        for play in plays:
            recent[play.user_id].append(play.song_id)
        for user_id, song_ids in recent.items():
            key = keys.recent(user_id)
            # pushed in order, the newest ends up first; more than are kept would be trimmed
            write.lpush_trim(key, song_ids[-RECENT_PLAYS:], RECENT_PLAYS)
            write.expire(key, self.config.user_ttl_s)
        # The newest weight so far, not this batch's: another worker may be behind in time.
        write.hset_max(keys.model, "unit", found.unit)
        self.topology.run(write, pipe, self._script)
        return judgements

    def _judge(self, plays: list[SongPlayed]) -> list[Judgement]:
        judged = [
            play for play in plays if is_judged(play.user_id, play.ts, self.config.judged_share)
        ]
        if not judged:
            return []
        pipe = self.client.pipeline(transaction=False)
        for play in judged:
            pipe.lrange(self.keys.recent(play.user_id), 0, RECENT_READ - 1)
        plans = [ReadPlan(tuple(map(text, r)), JUDGE_K) for r in pipe.execute()]
        pipe = self.client.pipeline(transaction=False)
        for plan in plans:
            for command in self.reads.evidence_commands(plan):
                command.queue(pipe)
        replies = pipe.execute()
        judgements = []
        for play, plan in zip(judged, plans, strict=True):
            evidence, replies = self.reads.evidence(plan, replies)
            judgements.append(judge(evidence, play, JUDGE_K))
        return judgements

    # -- reading (`backbeat offers`, tests; the API runs the same reads on redis.asyncio) --

    def read(self, read: Read[T]) -> T:
        return read_sync(self.client, read)

    def session(self, user_id: int) -> dict[str, Any] | None:
        return self.read(self.reads.session(user_id))

    def offers(self, user_id: int, now_ms: int | None = None) -> list[dict[str, Any]]:
        """Active offers, best first (priority, then newest)."""
        return self.read(self.reads.offers(user_id, now_ms))

    def offer(self, user_id: int, offer_id: str) -> dict[str, Any] | None:
        return self.read(self.reads.offer(user_id, offer_id))

    def recommendations(self, user_id: int, k: int = 10) -> list[dict[str, Any]]:
        return self.read(self.reads.recommendations(user_id, k))

    def stats(self) -> dict[str, int]:
        return self.read(self.reads.stats())
