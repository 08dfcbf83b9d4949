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
    run_retention_days: float = Field(
        default=7.0,
        gt=0,
        description=(
            "The local stack's Prefect server deletes finished flow runs (with their task runs, "
            "logs and artifacts) and events older than this: continuous builds make four flow "
            "runs a minute, 5,760 a day, kept for ever otherwise. Prefect's database vacuum "
            "does it, hourly; on Prefect Cloud the plan's retention applies."
        ),
    )

    def server_environment(self) -> dict[str, str]:
        """The Prefect server settings that bound its database (`prefect server start`)."""
        seconds = str(int(self.run_retention_days * 86_400))
        return {
            "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
            "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": seconds,
            "PREFECT_SERVER_EVENTS_RETENTION_PERIOD": f"PT{seconds}S",
        }
