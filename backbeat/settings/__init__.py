"""Backbeat's configuration: one typed object, read from `BACKBEAT_*` env vars and `.env`.

    from backbeat.settings import get_settings
    servers = get_settings().kafka.bootstrap_servers

Tests and embedding code override values with `temporary_settings`, never by editing
`os.environ`.
"""

from __future__ import annotations

from backbeat.settings.context import (
    SettingsError,
    get_settings,
    temporary_settings,
    with_overrides,
)
from backbeat.settings.root import Settings

__all__ = ["Settings", "SettingsError", "get_settings", "temporary_settings", "with_overrides"]
