"""What the offer store's readers ask Redis and make of the replies, written once for the
sync client (`backbeat offers`, the dataflow's judging, tests) and the asyncio one (the API).

Each read is a generator that never touches a socket: it yields the commands of one round
trip, receives their replies, and returns the answer. `read_sync` and `read_async` run one
on a client: a round trip of one command goes straight to the client, more are pipelined.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import msgspec

from offers.keys import RECENT_PLAYS, RedisKeys
from offers.recommender import NEIGHBOURS_READ, RECENT_READ, Evidence, ReadPlan, Source, serve
from offers.store_topology import AsyncClient, SyncClient

T = TypeVar("T")
_decode = msgspec.json.decode

__all__ = ["RECENT_PLAYS", "Command", "Read", "StoreReads", "read_async", "read_sync"]


@dataclass(frozen=True, slots=True)
class Command:
    """One Redis command, as a redis-py client or pipeline method and its arguments."""

    name: str
    args: tuple[Any, ...]
    options: dict[str, Any] = field(default_factory=dict)

    def queue(self, pipe: Any) -> None:
        getattr(pipe, self.name)(*self.args, **self.options)


#: A read: yields each round trip's commands, is sent their replies, returns its answer.
Read = Generator[list[Command], list[Any], T]


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class StoreReads:
    """Every read the store serves, over one key layout."""

    def __init__(self, keys: RedisKeys) -> None:
        self.keys = keys

    def session(self, user_id: int) -> Read[dict[str, Any] | None]:
        """The live session's features, or None."""
        (stored,) = yield [Command("hgetall", (self.keys.session(user_id),))]
        if not stored:
            return None
        return {text(k): _decode(v) for k, v in stored.items()}

    def offers(self, user_id: int, now_ms: int | None = None) -> Read[list[dict[str, Any]]]:
        """Active offers, best first (priority, then newest)."""
        (stored,) = yield [Command("hvals", (self.keys.offers(user_id),))]
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        active = [o for o in map(_decode, stored) if o["expires_at_ms"] > now_ms]
        return sorted(active, key=lambda o: (-o["priority"], -o["decided_at_ms"], o["offer_id"]))

    def offer(self, user_id: int, offer_id: str) -> Read[dict[str, Any] | None]:
        (stored,) = yield [Command("hget", (self.keys.offers(user_id), offer_id))]
        return None if stored is None else dict(_decode(stored))

    def recommendations(self, user_id: int, k: int = 10) -> Read[list[dict[str, Any]]]:
        """The top `k` for the user now: three round trips (recent plays, the model's
        evidence for them, the songs' names)."""
        (recent,) = yield [Command("lrange", (self.keys.recent(user_id), 0, RECENT_READ - 1))]
        plan = ReadPlan(tuple(map(text, recent)), k)
        evidence, _ = self.evidence(plan, (yield self.evidence_commands(plan)))
        ranked = serve(evidence, k)
        details = yield [
            Command("hmget", (self.keys.song(s), "artist", "song")) for s, _, _ in ranked
        ]
        return described(ranked, details)

    def stats(self) -> Read[dict[str, int]]:
        (stored,) = yield [Command("hgetall", (self.keys.stats,))]
        return {text(k): int(v) for k, v in stored.items()}

    def evidence_commands(self, plan: ReadPlan) -> list[Command]:
        """The model reads `plan` needs, in the order `evidence` takes their replies."""
        commands = [
            Command("zrevrange", (self.keys.of_set(ref), 0, count - 1), {"withscores": True})
            for ref, count in plan.sets(NEIGHBOURS_READ)
        ]
        commands += [
            Command("hget", (self.keys.of_counters(counters), name))
            for counters, name in plan.counters()
        ]
        return commands

    @staticmethod
    def evidence(plan: ReadPlan, replies: list[Any]) -> tuple[Evidence, list[Any]]:
        """The evidence in the first replies (as `evidence_commands` asked), and the rest."""
        n_sets, n_counters = len(plan.sets(NEIGHBOURS_READ)), len(plan.counters())
        sets = [[(text(m), float(x)) for m, x in reply] for reply in replies[:n_sets]]
        counters = [None if c is None else float(c) for c in replies[n_sets : n_sets + n_counters]]
        return plan.evidence(sets, counters), replies[n_sets + n_counters :]


def described(ranked: list[tuple[str, float, Source]], details: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "song_id": song,
            "artist": text(artist or b""),
            "song": text(title or b""),
            "score": round(score, 6),
            "source": source,
        }
        for (song, score, source), (artist, title) in zip(ranked, details, strict=True)
    ]


def execute_sync(client: SyncClient, commands: list[Command]) -> list[Any]:
    """One round trip: the command itself if it is alone, else a pipeline."""
    if len(commands) == 1:
        (command,) = commands
        return [getattr(client, command.name)(*command.args, **command.options)]
    pipe = client.pipeline(transaction=False)
    for command in commands:
        command.queue(pipe)
    return list(pipe.execute())


async def execute_async(client: AsyncClient, commands: list[Command]) -> list[Any]:
    if len(commands) == 1:
        (command,) = commands
        return [await getattr(client, command.name)(*command.args, **command.options)]
    pipe = client.pipeline(transaction=False)
    for command in commands:
        command.queue(pipe)
    return list(await pipe.execute())


def read_sync(client: SyncClient, read: Read[T]) -> T:
    try:
        commands = next(read)
        while True:
            commands = read.send(execute_sync(client, commands) if commands else [])
    except StopIteration as done:
        return cast(T, done.value)


async def read_async(client: AsyncClient, read: Read[T]) -> T:
    try:
        commands = next(read)
        while True:
            commands = read.send(await execute_async(client, commands) if commands else [])
    except StopIteration as done:
        return cast(T, done.value)
