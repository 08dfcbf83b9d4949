"""Registering `prefect.yaml`'s deployments: the work pool they run on, then `prefect deploy`.

Kept apart from the CLI so tests and scripts register deployments the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists
from prefect.settings import PREFECT_API_URL
from prefect.settings import temporary_settings as prefect_settings

PROJECT_DIR = Path(__file__).resolve().parents[1]
WORK_POOL = "backbeat-local"


def ensure_work_pool(api_url: str) -> bool:
    """Create the `backbeat-local` process work pool unless it exists; True if created."""
    with (
        prefect_settings(updates={PREFECT_API_URL: api_url}),
        get_client(sync_client=True) as client,
    ):
        try:
            client.create_work_pool(WorkPoolCreate(name=WORK_POOL, type="process"))
        except ObjectAlreadyExists:
            return False
    return True


def deploy_all(api_url: str, project_dir: Path = PROJECT_DIR) -> subprocess.CompletedProcess[str]:
    """`prefect deploy --all` for `prefect.yaml`, against `api_url`, without prompts."""
    return subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"],
        cwd=project_dir,
        env={**os.environ, "PREFECT_API_URL": api_url, "PWD": str(project_dir)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
