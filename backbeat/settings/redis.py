"""Where Redis is."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, RedisDsn, SecretStr, field_validator

from backbeat.settings.base import SettingsGroup, settings_config


class RedisSettings(SettingsGroup):
    """The Redis that holds live sessions, offers and recommendations."""

    group = "redis"
    model_config = settings_config(group)

    url: RedisDsn = Field(
        default=RedisDsn("redis://127.0.0.1:6379/0"),
        description=(
            "Redis URL (redis:// or rediss://) without credentials. The local stack runs "
            "redis-server on this host and port, so it must be on 127.0.0.1 for `backbeat up`."
        ),
    )
    password: SecretStr | None = Field(
        default=None,
        description="Redis password (AUTH), kept out of the URL so it never shows up in logs.",
    )
    cluster: bool = Field(
        default=False,
        description=(
            "The URL names one node of a Redis Cluster (the others are found from it): keys "
            "are spread over its masters by hash tag, each user's and each song's keys in one "
            "slot (offers/keys.py). Needs Redis 7.0 or later, as does a single Redis."
        ),
    )
    maxmemory_mb: int = Field(
        default=1024,
        ge=0,
        description=(
            "The local stack's Redis uses at most this much memory (maxmemory; 0: no bound). "
            "Set the same on a Redis you run yourself."
        ),
    )
    maxmemory_policy: Literal["volatile-lru", "volatile-lfu", "volatile-ttl", "noeviction"] = Field(
        default="volatile-lru",
        description=(
            "What the local stack's Redis drops when full (maxmemory-policy): volatile-* "
            "evict only keys with a TTL, which every per-user and per-song key has, so the "
            "global keys (popularity, stats) are kept."
        ),
    )
    key_prefix: str = Field(
        default="bb:v3:",
        description=(
            "Prefix of every key Backbeat writes; its version changes with the layout. "
            "No braces: they would become the keys' Redis Cluster hash tag."
        ),
    )

    def client_options(self, timeout_s: float) -> dict[str, Any]:
        """What redis-py's clients take, sync and asyncio alike: `Redis.from_url(**options)`
        (the password from its own setting, never in the URL)."""
        return {
            "url": str(self.url),
            "password": self.password.get_secret_value() if self.password else None,
            "socket_timeout": timeout_s,
            "socket_connect_timeout": timeout_s,
        }

    @field_validator("key_prefix")
    @classmethod
    def _no_hash_tag_in_prefix(cls, value: str) -> str:
        if "{" in value or "}" in value:
            raise ValueError("the key prefix may not contain { or }: they make a hash tag")
        return value

    @field_validator("url")
    @classmethod
    def _no_credentials_in_url(cls, value: RedisDsn) -> RedisDsn:
        if value.password:
            raise ValueError("put the Redis password in BACKBEAT_REDIS_PASSWORD, not in the URL")
        return value
