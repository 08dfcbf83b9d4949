"""A batch of the recommender's writes as a few Lua calls in Redis.

A play touches about twenty members, counters and TTLs; sent as commands, packing and
parsing them in redis-py cost more than Redis spends on them. Here each call carries its
operations as one JSON argument (encoded in C by msgspec, decoded in C by Redis' cjson)
and Redis runs the loop: the same ZINCRBY, ZREMRANGEBYRANK, HINCRBYFLOAT, HSET (or HSET
only if larger), LPUSH + LTRIM and EXPIRE, in the same order. Numbers keep every bit: JSON
floats are the shortest repr that reads back the same double, and Redis hands Lua numbers to
commands the same way. A script holds Redis while it runs, so each call carries at most
`OPS_PER_CALL` operations (a few milliseconds): the API's reads wait no longer than that.

On one Redis every key is passed in KEYS, as Redis asks of scripts. On a Redis Cluster the
keys of one call must be on one node, and KEYS of one slot: the operations are grouped per
node (`group_of`), and each call passes no KEYS and its key names as ARGV[2], which the
script's `allow-cross-slot-keys` flag permits for keys of the node it runs on
(offers/store_topology.py). Hence Redis 7.0 or later (script flags).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import msgspec
import redis

OPS_PER_CALL = 2000

#: ARGV[1]: a JSON list of operations, each [code, key (index into the keys), fields...];
#: the keys are KEYS, or, if none are passed, the JSON list in ARGV[2].
SCRIPT = """#!lua flags=allow-cross-slot-keys
local keys = KEYS
if #keys == 0 then keys = cjson.decode(ARGV[2]) end
for _, o in ipairs(cjson.decode(ARGV[1])) do
  local op, key = o[1], keys[o[2]]
  if op == 'z' then
    redis.call('ZINCRBY', key, o[4], o[3])
  elseif op == 't' then
    redis.call('ZREMRANGEBYRANK', key, 0, -(o[3] + 1))
  elseif op == 'h' then
    redis.call('HINCRBYFLOAT', key, o[3], o[4])
  elseif op == 'x' then
    local current = tonumber(redis.call('HGET', key, o[3]) or '0')
    if o[4] > current then redis.call('HSET', key, o[3], o[4]) end
  elseif op == 's' then
    redis.call('HSET', key, o[3], o[4], o[5], o[6])
  elseif op == 'l' then
    redis.call('LPUSH', key, unpack(o[4]))
    redis.call('LTRIM', key, 0, o[3] - 1)
  else
    redis.call('EXPIRE', key, o[3])
  end
end
return 0
"""

_encode = msgspec.json.Encoder().encode


_Call = tuple[Hashable, dict[str, int], list[tuple[Any, ...]]]


def _one_group(key: str) -> Hashable:
    return None


class ModelWrite:
    """The operations of one batch, grouped by `group_of(key)` (the node that holds the key;
    one group on a single Redis), each group's in the order they are applied, cut into calls
    of at most `OPS_PER_CALL` operations as they come (each call numbers its own keys)."""

    def __init__(self, group_of: Callable[[str], Hashable] = _one_group) -> None:
        self._group_of = group_of
        self._calls: list[_Call] = []
        self._open: dict[Hashable, _Call] = {}  # each group's call being filled

    def _add(self, code: str, key: str, *fields: Any) -> None:
        group = self._group_of(key)
        call = self._open.get(group)
        if call is None or len(call[2]) >= OPS_PER_CALL:
            call = self._open[group] = (group, {}, [])
            self._calls.append(call)
        _, keys, ops = call
        index = keys.get(key)
        if index is None:
            index = keys[key] = len(keys) + 1
        ops.append((code, index, *fields))

    def zincrby(self, key: str, member: str, weight: float) -> None:
        self._add("z", key, member, weight)

    def trim(self, key: str, kept: int) -> None:
        self._add("t", key, kept)

    def hincrbyfloat(self, key: str, field: str, weight: float) -> None:
        self._add("h", key, field, weight)

    def hset_max(self, key: str, field: str, value: float) -> None:
        """Set `field` to `value` unless it holds more already (workers write in any order)."""
        self._add("x", key, field, value)

    def hset2(self, key: str, first: tuple[str, str], second: tuple[str, str]) -> None:
        self._add("s", key, *first, *second)

    def lpush_trim(self, key: str, members: list[str], kept: int) -> None:
        """LPUSH `members` in order (the last ends up first), then keep the first `kept`."""
        self._add("l", key, kept, members)

    def expire(self, key: str, seconds: int) -> None:
        self._add("e", key, seconds)

    def calls(self) -> list[tuple[Hashable, list[str], bytes]]:
        """(group, keys, ARGV[1]) for SCRIPT, one triple per call."""
        return [(group, list(keys), _encode(ops)) for group, keys, ops in self._calls]

    def queue(self, pipe: Any, script: redis.commands.core.Script) -> None:
        """Every call in `pipe`, its keys in KEYS: one Redis holds them all."""
        for _, keys, ops in self.calls():
            script(keys=keys, args=[ops], client=pipe)
