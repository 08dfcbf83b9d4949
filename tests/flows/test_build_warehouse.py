"""`build_warehouse` as a Prefect flow run on the real server of the session's stack: the
run completes, builds the marts, and its artifacts can be read back from the API; on
BigQuery (the emulator) it authenticates through a prefect-gcp GcpCredentials block."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.settings import PREFECT_API_URL
from prefect.settings import temporary_settings as prefect_settings

from backbeat.emit.runs import run_replay
from backbeat.emit.sinks import DirectRawSink
from backbeat.settings import Settings
from backbeat.settings.environment import settings_environment
from backbeat.warehouse import open_warehouse
from backbeat.warehouse.bigquery.raw_writer import BigQueryRawWriter
from backbeat.warehouse.bigquery.setup import init_bigquery
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from tests.conftest import BigQueryEmulator

RUN_FLOW = "from flows.build_warehouse import build_warehouse; print(build_warehouse())"


def test_build_flow_runs_on_the_server_and_publishes_artifacts(
    local_stack: Settings, eventsim_real: Path, tmp_path: Path
) -> None:
    run_replay(
        [eventsim_real / "sparkify_dend_log_data"], DirectRawSink(RawParquetWriter(tmp_path))
    )
    api_url = str(local_stack.prefect.api_url)
    env = {**os.environ, "PREFECT_API_URL": api_url, "BACKBEAT_WAREHOUSE_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", RUN_FLOW], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'marts_rows'" in result.stdout
    plays = DuckDBWarehouse(tmp_path).query("SELECT COUNT(*) FROM marts.song_plays").rows
    assert plays == [(6820,)]  # every NextSong of the 30 Sparkify files

    async def artifacts() -> dict[str, object]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["warehouse-build", "warehouse-build-summary"])
                )
            )
            runs = await client.read_flow_runs()
            assert any(r.name and r.state_type.value == "COMPLETED" for r in runs)
            return {a.key: a.data for a in found}

    with prefect_settings(updates={PREFECT_API_URL: api_url}):
        published = asyncio.run(artifacts())
    table = published["warehouse-build"]
    rows = table if isinstance(table, list) else json.loads(str(table))
    by_model = {row["model"]: row for row in rows}
    assert by_model["vault.t_link_play"]["rows_written"] == 6820
    assert "vault" in str(published["warehouse-build-summary"])


def _service_account_info(project: str) -> dict[str, str]:
    """A syntactically real service-account key (made here, valid nowhere)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "0" * 40,
        "private_key": pem,
        "client_email": f"backbeat-flows@{project}.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


def test_build_flow_on_bigquery_takes_its_project_from_a_gcp_credentials_block(
    local_stack: Settings, bigquery_emulator: BigQueryEmulator, eventsim_real: Path
) -> None:
    from prefect_gcp import GcpCredentials

    api_url = str(local_stack.prefect.api_url)
    with prefect_settings(updates={PREFECT_API_URL: api_url}):
        GcpCredentials(
            service_account_info=_service_account_info(bigquery_emulator.project)  # type: ignore[arg-type]
        ).save("backbeat-test-gcp", overwrite=True)
    datasets = {
        "raw_dataset": "flow_raw",
        "vault_dataset": "flow_vault",
        "marts_dataset": "flow_marts",
    }
    big = bigquery_emulator.settings(local_stack, **datasets)
    init_bigquery(big.warehouse)
    run_replay(
        [eventsim_real / "sparkify_dend_log_data"], DirectRawSink(BigQueryRawWriter(big.warehouse))
    )
    env = {
        **os.environ,
        **settings_environment(big),
        "PREFECT_API_URL": api_url,
        "BACKBEAT_WAREHOUSE_GCP_CREDENTIALS_BLOCK": "backbeat-test-gcp",
    }
    # The project comes from the block alone: without it the build has none and fails.
    env.pop("BACKBEAT_WAREHOUSE_BIGQUERY_PROJECT", None)
    result = subprocess.run(
        [sys.executable, "-c", RUN_FLOW], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    plays = open_warehouse(big).query("SELECT COUNT(*) FROM marts.song_plays").rows
    assert plays == [(6820,)]

    env["BACKBEAT_WAREHOUSE_GCP_CREDENTIALS_BLOCK"] = "no-such-block"
    missing = subprocess.run(
        [sys.executable, "-c", RUN_FLOW], env=env, capture_output=True, text=True, timeout=300
    )
    assert missing.returncode != 0
    assert "no-such-block" in missing.stderr
