"""The shared base of every settings group: env prefix from its path, `.env` support."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "BACKBEAT_"


def settings_config(group: str) -> SettingsConfigDict:
    """Config for the group at `group`: its variables are `BACKBEAT_<GROUP>_<FIELD>`."""
    return SettingsConfigDict(
        env_prefix=f"{ENV_PREFIX}{group.upper()}_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        # Overrides pass field names even where a field also has an env alias.
        populate_by_name=True,
        # A rejected value may be a secret (an API key list, a URL with a password): errors
        # name the variable and the rule, never the value.
        hide_input_in_errors=True,
    )


class SettingsGroup(BaseSettings):
    """One area of configuration (kafka, redis, ...), read from env and `.env`."""

    group: ClassVar[str]

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable that sets `field`."""
        return f"{ENV_PREFIX}{cls.group.upper()}_{field.upper()}"
