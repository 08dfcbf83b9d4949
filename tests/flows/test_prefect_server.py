"""A flow run recorded by the real Prefect server the session fixture started."""

from __future__ import annotations

import asyncio

from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_API_URL
from prefect.settings import temporary_settings as prefect_settings

from backbeat.settings import Settings


@task(retries=1)
def count_words(text: str) -> int:
    return len(text.split())


@flow(name="backbeat-smoke")
def smoke(text: str) -> int:
    return count_words(text)


def test_flow_runs_against_the_started_server(local_stack: Settings) -> None:
    api_url = str(local_stack.prefect.api_url)
    with prefect_settings(updates={PREFECT_API_URL: api_url}):
        state = smoke("a streaming service emits events", return_state=True)
        assert state.is_completed()
        assert state.result() == 5

        async def read_back() -> tuple[str, str | None, int]:
            async with get_client() as client:
                assert str(client.api_url).rstrip("/") == api_url.rstrip("/")
                run = await client.read_flow_run(state.state_details.flow_run_id)
                tasks = await client.read_task_runs()
                return run.state_type.value, run.name, len(tasks)

        state_type, name, task_runs = asyncio.run(read_back())
        # Send the run's logs now, while the server is up (not at interpreter exit).
        APILogHandler().flush()
    assert state_type == "COMPLETED"
    assert name
    assert task_runs >= 1


def test_the_server_deletes_old_runs_and_events(local_stack: Settings) -> None:
    """Four flow runs a minute must not be kept for ever: the server the stack started runs
    Prefect's database vacuum on flow runs and events, with Backbeat's retention."""
    from datetime import timedelta

    import httpx
    from pydantic import TypeAdapter

    response = httpx.get(f"{str(local_stack.prefect.api_url).rstrip('/')}/admin/settings")
    response.raise_for_status()
    server = response.json()["server"]
    vacuum = server["services"]["db_vacuum"]
    assert {"flow_runs", "events"} <= set(vacuum["enabled"])
    days = local_stack.prefect.run_retention_days
    retention = {vacuum["retention_period"], server["events"]["retention_period"]}
    assert {TypeAdapter(timedelta).validate_python(v) for v in retention} == {timedelta(days)}
