"""The offer lookup API (`backbeat api`)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from backbeat.settings.base import SettingsGroup, settings_config


class ApiSettings(SettingsGroup):
    """`backbeat api`: where it listens, who may call it, how long it waits for Redis."""

    group = "api"
    model_config = settings_config(group)

    keys: list[SecretStr] = Field(
        default_factory=list,
        description="API keys accepted in the X-API-Key header (JSON list). An entry "
        "`sha256:<hex>` is the SHA-256 of a key, so the key itself need not be stored. "
        "Empty: every request is refused with 401.",
    )
    host: str = Field(default="127.0.0.1", description="Address uvicorn binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port uvicorn listens on.")
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes.")
    max_body_bytes: int = Field(
        default=16_384,
        ge=256,
        description="Largest request body accepted (an offer event is under 100 bytes); "
        "larger ones are refused with 413 before they are read.",
    )
    redis_timeout_ms: int = Field(
        default=250,
        ge=1,
        description="Longest wait for Redis per call; past it the request answers 503.",
    )
    redis_connections: int = Field(
        default=100,
        ge=1,
        description="Redis connections per API worker. A request that finds them all busy "
        "waits for one, up to BACKBEAT_API_REDIS_TIMEOUT_MS, then answers 503.",
    )

    @field_validator("keys")
    @classmethod
    def _hashed_keys_are_hex(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for key in keys:
            value = key.get_secret_value()
            if value.startswith("sha256:"):
                digest = value.removeprefix("sha256:")
                if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()):
                    raise ValueError("a hashed API key is `sha256:` and 64 hex digits")
        return keys
