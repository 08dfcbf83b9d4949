"""Where the Prefect API is."""

from __future__ import annotations

from pydantic import AliasChoices, Field, HttpUrl

from backbeat.settings.base import SettingsGroup, settings_config


class PrefectSettings(SettingsGroup):
    """The Prefect API that Backbeat's flows report to (local server or Prefect Cloud)."""

    group = "prefect"
    model_config = settings_config(group)

    api_url: HttpUrl = Field(
        default=HttpUrl("http://127.0.0.1:4200/api"),
        validation_alias=AliasChoices("BACKBEAT_PREFECT_API_URL", "PREFECT_API_URL"),
        description=(
            "Prefect API URL; PREFECT_API_URL is read too, so a Prefect Cloud workspace URL works "
            "unchanged. The local stack serves the API and UI on this host and port."
        ),
    )
