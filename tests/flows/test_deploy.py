"""`backbeat deploy` against the stack's real Prefect server: prefect.yaml deploys cleanly."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL
from prefect.settings import temporary_settings as prefect_settings

from backbeat.settings import Settings


def test_backbeat_deploy_registers_every_deployment(local_stack: Settings) -> None:
    api_url = str(local_stack.prefect.api_url)
    env = {**os.environ, "BACKBEAT_PREFECT_API_URL": api_url, "PREFECT_API_URL": api_url}
    for attempt in range(2):  # the second run finds the pool and updates the deployment
        result = subprocess.run(
            [sys.executable, "-m", "backbeat", "deploy"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr + result.stdout
        assert ("created" if attempt == 0 else "exists") in result.stderr

    async def read() -> list[tuple[str, str | None, list[object], int | None, str | None]]:
        async with get_client() as client:
            deployments = await client.read_deployments()
            return [
                (
                    d.name,
                    d.work_pool_name,
                    [s.schedule for s in d.schedules],
                    d.global_concurrency_limit.limit if d.global_concurrency_limit else None,
                    d.concurrency_options.collision_strategy.value
                    if d.concurrency_options
                    else None,
                )
                for d in deployments
            ]

    with prefect_settings(updates={PREFECT_API_URL: api_url}):
        found = {name: rest for name, *rest in asyncio.run(read())}
    pool, schedules, *_ = found["build-warehouse"]
    assert pool == "backbeat-local"
    assert [getattr(s, "interval", None).total_seconds() for s in schedules] == [300.0]
    # A run due while one runs is dropped, not queued: scans after every build cannot pile up.
    for name in ("build-warehouse", "compact-raw", "quality-scan"):
        assert found[name][2:] == [1, "CANCEL_NEW"], (name, found[name])
    assert found["backfill-warehouse"][0] == "backbeat-local"
    assert found["backfill-warehouse"][1] == []  # on demand only
    hourly = [getattr(s, "interval", None).total_seconds() for s in found["compact-raw"][1]]
    assert hourly == [3600.0]
    scan_schedules = [
        getattr(s, "interval", None).total_seconds() for s in found["quality-scan"][1]
    ]
    assert scan_schedules == [3600.0]

    async def automations() -> list[object]:
        async with get_client() as client:
            return [a.trigger for a in await client.read_automations()]

    with prefect_settings(updates={PREFECT_API_URL: api_url}):
        triggers = asyncio.run(automations())
    # quality-scan runs after every completed build-warehouse run
    assert any(
        "prefect.flow-run.Completed" in getattr(t, "expect", set())
        and "build-warehouse" in str(getattr(t, "match_related", ""))
        for t in triggers
    ), triggers
