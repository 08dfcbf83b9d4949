"""A batch of the recommender's writes as a few Lua calls in Redis.

A play touches about twenty members, counters and TTLs; sent as commands, packing and
parsing them in redis-py cost more than Redis spends on them. Here they travel as EVALSHA
calls whose arguments list the operations, and Redis runs the loop: the same ZINCRBY,
ZREMRANGEBYRANK, HINCRBYFLOAT, HSET (or HSET only if larger), LPUSH + LTRIM and EXPIRE, in
the same order. A script holds Redis while it runs, so each call carries at most
`OPS_PER_CALL` operations (a few milliseconds): the API's reads wait no longer than that.
Every key is passed in KEYS, as Redis asks of scripts.
"""

from __future__ import annotations

from typing import Any

import redis

OPS_PER_CALL = 2000

#: ARGV: operations, each a code, a key (index into KEYS), then its fields.
SCRIPT = """
local a, i = ARGV, 1
while i <= #a do
  local op, key = a[i], KEYS[tonumber(a[i + 1])]
  if op == 'z' then
    redis.call('ZINCRBY', key, a[i + 3], a[i + 2]); i = i + 4
  elseif op == 't' then
    redis.call('ZREMRANGEBYRANK', key, 0, -(tonumber(a[i + 2]) + 1)); i = i + 3
  elseif op == 'h' then
    redis.call('HINCRBYFLOAT', key, a[i + 2], a[i + 3]); i = i + 4
  elseif op == 'x' then
    local current = tonumber(redis.call('HGET', key, a[i + 2]) or '0')
    if tonumber(a[i + 3]) > current then redis.call('HSET', key, a[i + 2], a[i + 3]) end
    i = i + 4
  elseif op == 's' then
    redis.call('HSET', key, a[i + 2], a[i + 3], a[i + 4], a[i + 5]); i = i + 6
  elseif op == 'l' then
    local count = tonumber(a[i + 3])
    redis.call('LPUSH', key, unpack(a, i + 4, i + 3 + count))
    redis.call('LTRIM', key, 0, tonumber(a[i + 2]) - 1)
    i = i + 4 + count
  else
    redis.call('EXPIRE', key, a[i + 2]); i = i + 3
  end
end
return i - 1
"""


class ModelWrite:
    """The operations of one batch, in the order they are applied."""

    def __init__(self) -> None:
        self._ops: list[tuple[Any, ...]] = []

    def zincrby(self, key: str, member: str, weight: float) -> None:
        self._ops.append(("z", key, member, repr(weight)))

    def trim(self, key: str, kept: int) -> None:
        self._ops.append(("t", key, kept))

    def hincrbyfloat(self, key: str, field: str, weight: float) -> None:
        self._ops.append(("h", key, field, repr(weight)))

    def hset_max(self, key: str, field: str, value: float) -> None:
        """Set `field` to `value` unless it holds more already (workers write in any order)."""
        self._ops.append(("x", key, field, repr(value)))

    def hset2(self, key: str, first: tuple[str, str], second: tuple[str, str]) -> None:
        self._ops.append(("s", key, *first, *second))

    def lpush_trim(self, key: str, members: list[str], kept: int) -> None:
        """LPUSH `members` in order (the last ends up first), then keep the first `kept`."""
        self._ops.append(("l", key, kept, len(members), *members))

    def expire(self, key: str, seconds: int) -> None:
        self._ops.append(("e", key, seconds))

    def calls(self) -> list[tuple[list[str], list[Any]]]:
        """(KEYS, ARGV) for SCRIPT, one pair per `OPS_PER_CALL` operations."""
        found = []
        for start in range(0, len(self._ops), OPS_PER_CALL):
            keys: dict[str, int] = {}
            argv: list[Any] = []
            for code, key, *fields in self._ops[start : start + OPS_PER_CALL]:
                argv += [code, keys.setdefault(key, len(keys) + 1), *fields]
            found.append((list(keys), argv))
        return found

    def queue(self, pipe: Any, script: redis.commands.core.Script) -> None:
        for keys, argv in self.calls():
            script(keys=keys, args=argv, client=pipe)
