"""How the offer store is reached and shaped: its Redis clients and one typed configuration.

The connection comes from `BACKBEAT_REDIS_*` (where, the password, the key prefix); the
shape of what the sessions dataflow keeps from `BACKBEAT_SESSIONS_*` (how long per-user keys
live, how many neighbours per song, the share of plays judged). `StoreConfig.from_settings`
is the one place the two meet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
import redis.asyncio
import redis.cluster

from backbeat.settings import Settings
from backbeat.settings.redis import RedisSettings
from offers.keys import RedisKeys
from offers.store_topology import AsyncClient, SyncClient


@dataclass(frozen=True)
class StoreConfig:
    keys: RedisKeys = field(default_factory=RedisKeys)
    #: Per-user keys expire this long after the user's last event.
    user_ttl_s: int = 48 * 3600
    #: Neighbours kept per song (top by score).
    neighbours_kept: int = 50
    #: Share of plays judged against both rankers (offers/recommender.py `is_judged`).
    judged_share: float = 0.02

    @classmethod
    def from_settings(cls, settings: Settings) -> StoreConfig:
        sessions = settings.sessions
        return cls(
            keys=RedisKeys(settings.redis.key_prefix),
            user_ttl_s=int(sessions.user_ttl_hours * 3600),
            neighbours_kept=sessions.neighbours_kept,
            judged_share=sessions.recommendations_judged_share,
        )


def sync_client(settings: RedisSettings, timeout_s: float = 1.0) -> SyncClient:
    """The dataflow's, the CLI's and the tests' client: each call waits at most `timeout_s`."""
    if settings.cluster:
        return redis.cluster.RedisCluster.from_url(**settings.client_options(timeout_s))
    return redis.Redis.from_url(**settings.client_options(timeout_s))


def async_client(settings: RedisSettings, timeout_s: float, max_connections: int) -> AsyncClient:
    """The API's client: a timed-out call is not retried (the request answers 503 instead).

    On one Redis its pool blocks: a request that finds every connection busy waits for one up
    to `timeout_s` instead of failing at once with "Too many connections" (redis-py's default
    pool). On a Redis Cluster, redis-py keeps `max_connections` per node, has no blocking pool
    and may re-read the cluster's layout and retry after a timeout; the API's `StoreReader`
    bounds how many reads run at once and how long each may take, on either.
    """
    if settings.cluster:
        return redis.asyncio.RedisCluster.from_url(
            **settings.client_options(timeout_s), max_connections=max_connections
        )
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        **settings.client_options(timeout_s),
        max_connections=max_connections,
        timeout=timeout_s,
        retry_on_timeout=False,
    )
    return redis.asyncio.Redis.from_pool(pool)
