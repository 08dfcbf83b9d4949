"""The Prefect server (API and UI) on SQLite in the state directory."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import httpx

from backbeat.settings.prefect import PrefectSettings
from backbeat.stack.service import LocalService, base_environment


class PrefectService(LocalService):
    kind = "prefect"
    marker = "prefect"

    @property
    def host(self) -> str:
        return self.settings.prefect.api_url.host or "127.0.0.1"

    @property
    def port(self) -> int:
        return self.settings.prefect.api_url.port or 4200

    @property
    def setting(self) -> str:
        return PrefectSettings.env_name("api_url")

    @property
    def health_url(self) -> str:
        return f"{str(self.settings.prefect.api_url).rstrip('/')}/health"

    def command(self) -> tuple[Sequence[str], Mapping[str, str]]:
        env = base_environment() | {
            "PREFECT_HOME": str(self.data_dir),  # holds the SQLite database
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            **self.settings.prefect.server_environment(),
        }
        argv = [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--analytics-off",
        ]
        return argv, env

    def is_ready(self) -> bool:
        try:
            return httpx.get(self.health_url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False
