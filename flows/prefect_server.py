"""Running Backbeat's flows against the configured Prefect API (the stack's server, or
Prefect Cloud) from a process that is not a worker: the CLI and the demo."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from backbeat.settings import Settings


@contextmanager
def using_prefect_api(settings: Settings) -> Iterator[None]:
    """Flow runs started inside go to `BACKBEAT_PREFECT_API_URL`; Prefect logs warnings only."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.settings import PREFECT_API_URL
    from prefect.settings import temporary_settings as prefect_settings

    with prefect_settings(updates={PREFECT_API_URL: str(settings.prefect.api_url)}):
        yield
