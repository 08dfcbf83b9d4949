"""A batch of the recommender's writes as one Lua call in Redis.

A play touches about twenty members, counters and TTLs; sent as commands, packing and
parsing them in redis-py cost more than Redis spends on them (a third of the sessions
dataflow's throughput). Here they travel as one EVALSHA whose arguments list the
operations, and Redis runs the loop: the same ZINCRBY, HINCRBYFLOAT, ZREMRANGEBYRANK, HSET,
LPUSH and EXPIRE, in the same order. Every key is passed in KEYS, as Redis asks of scripts.
"""

from __future__ import annotations

from typing import Any

import redis

#: ARGV: groups of operations, each group a count then its fields (key = index into KEYS).
SCRIPT = """
local a = ARGV
local i = 1
local function group(width, apply)
  local n = tonumber(a[i]); i = i + 1
  for _ = 1, n do apply(i); i = i + width end
end
group(3, function(j) redis.call('ZINCRBY', KEYS[tonumber(a[j])], a[j + 2], a[j + 1]) end)
group(2, function(j)
  redis.call('ZREMRANGEBYRANK', KEYS[tonumber(a[j])], 0, -(tonumber(a[j + 1]) + 1))
end)
group(3, function(j) redis.call('HINCRBYFLOAT', KEYS[tonumber(a[j])], a[j + 1], a[j + 2]) end)
group(5, function(j)
  redis.call('HSET', KEYS[tonumber(a[j])], a[j + 1], a[j + 2], a[j + 3], a[j + 4])
end)
local lists = tonumber(a[i]); i = i + 1
for _ = 1, lists do
  local key, kept, count = KEYS[tonumber(a[i])], tonumber(a[i + 1]), tonumber(a[i + 2])
  i = i + 3
  redis.call('LPUSH', key, unpack(a, i, i + count - 1))
  redis.call('LTRIM', key, 0, kept - 1)
  i = i + count
end
group(2, function(j) redis.call('EXPIRE', KEYS[tonumber(a[j])], a[j + 1]) end)
return i - 1
"""


class ModelWrite:
    """The operations of one batch, gathered in the order the script applies them."""

    def __init__(self) -> None:
        self._keys: dict[str, int] = {}
        self._groups: list[list[Any]] = [[] for _ in range(4)]
        self._lists: list[Any] = []
        self._list_count = 0
        self._expiries: list[Any] = []

    def _key(self, key: str) -> int:
        return self._keys.setdefault(key, len(self._keys) + 1)

    def zincrby(self, key: str, member: str, weight: float) -> None:
        self._groups[0] += [self._key(key), member, repr(weight)]

    def trim(self, key: str, kept: int) -> None:
        self._groups[1] += [self._key(key), kept]

    def hincrbyfloat(self, key: str, field: str, weight: float) -> None:
        self._groups[2] += [self._key(key), field, repr(weight)]

    def hset2(self, key: str, first: tuple[str, str], second: tuple[str, str]) -> None:
        self._groups[3] += [self._key(key), *first, *second]

    def lpush_trim(self, key: str, members: list[str], kept: int) -> None:
        self._lists += [self._key(key), kept, len(members), *members]
        self._list_count += 1

    def expire(self, key: str, seconds: int) -> None:
        self._expiries += [self._key(key), seconds]

    def arguments(self) -> tuple[list[str], list[Any]]:
        """KEYS and ARGV for SCRIPT."""
        widths = (3, 2, 3, 5)
        argv: list[Any] = []
        for group, width in zip(self._groups, widths, strict=True):
            argv += [len(group) // width, *group]
        argv += [self._list_count, *self._lists]
        argv += [len(self._expiries) // 2, *self._expiries]
        return list(self._keys), argv

    def queue(self, pipe: Any, script: redis.commands.core.Script) -> None:
        keys, argv = self.arguments()
        if keys:
            script(keys=keys, args=argv, client=pipe)
