"""A batch of the recommender's writes as a few Lua calls in Redis.

A play touches about twenty members, counters and TTLs; sent as commands, packing and
parsing them in redis-py cost more than Redis spends on them. Here each call carries its
operations as one JSON argument (encoded in C by msgspec, decoded in C by Redis' cjson)
and Redis runs the loop: the same ZINCRBY, ZREMRANGEBYRANK, HINCRBYFLOAT, HSET (or HSET
only if larger), LPUSH + LTRIM and EXPIRE, in the same order. Numbers keep every bit: JSON
floats are the shortest repr that reads back the same double, and Redis hands Lua numbers to
commands the same way. A script holds Redis while it runs, so each call carries at most
`OPS_PER_CALL` operations (a few milliseconds): the API's reads wait no longer than that.
Every key is passed in KEYS, as Redis asks of scripts.
"""

from __future__ import annotations

from typing import Any

import msgspec
import redis

OPS_PER_CALL = 2000

#: ARGV[1]: a JSON list of operations, each [code, key (index into KEYS), fields...].
SCRIPT = """
for _, o in ipairs(cjson.decode(ARGV[1])) do
  local op, key = o[1], KEYS[o[2]]
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


class ModelWrite:
    """The operations of one batch, in the order they are applied, cut into calls of at
    most `OPS_PER_CALL` operations as they come (each call numbers its own keys)."""

    def __init__(self) -> None:
        self._calls: list[tuple[dict[str, int], list[tuple[Any, ...]]]] = []
        self._keys: dict[str, int] = {}
        self._ops: list[tuple[Any, ...]] = []

    def _add(self, code: str, key: str, *fields: Any) -> None:
        if len(self._ops) >= OPS_PER_CALL or not self._calls:
            self._keys, self._ops = {}, []
            self._calls.append((self._keys, self._ops))
        index = self._keys.get(key)
        if index is None:
            index = self._keys[key] = len(self._keys) + 1
        self._ops.append((code, index, *fields))

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

    def calls(self) -> list[tuple[list[str], bytes]]:
        """(KEYS, ARGV[1]) for SCRIPT, one pair per call."""
        return [(list(keys), _encode(ops)) for keys, ops in self._calls]

    def queue(self, pipe: Any, script: redis.commands.core.Script) -> None:
        for keys, ops in self.calls():
            script(keys=keys, args=[ops], client=pipe)
