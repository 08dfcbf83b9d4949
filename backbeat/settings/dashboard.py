"""The local dashboard (`backbeat dashboard`)."""

from __future__ import annotations

from pydantic import Field

from backbeat.settings.base import SettingsGroup, settings_config


class DashboardSettings(SettingsGroup):
    """Where `backbeat dashboard` listens (it reads the configured warehouse)."""

    group = "dashboard"
    model_config = settings_config(group)

    host: str = Field(default="127.0.0.1", description="Address the dashboard binds to.")
    port: int = Field(default=8050, ge=1, le=65535, description="Port of the dashboard.")
    refresh_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often the dashboard looks for a finished warehouse build to redraw "
        "its page (one look at the build log; the page itself is drawn once per build).",
    )
