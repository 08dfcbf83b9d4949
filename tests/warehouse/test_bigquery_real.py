"""The BigQuery backend against real BigQuery: opt-in, because it needs Google credentials.

    BACKBEAT_BIGQUERY_PROJECT=my-project make test-bigquery

uses Application Default Credentials (`gcloud auth application-default login`, or
GOOGLE_APPLICATION_CREDENTIALS) and creates, then deletes, three datasets named
`bb_test_<random>_{raw,vault,marts}`. Without the variable these tests are deselected; the
same code paths (init, Storage Write appends, high-water marks, queries) run against the
emulator in test_bigquery_init.py, test_bigquery_raw_writer.py and the loader tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.warehouse.bigquery.client import bigquery_client
from backbeat.warehouse.bigquery.raw_writer import BigQueryRawWriter
from backbeat.warehouse.bigquery.setup import init_bigquery
from backbeat.warehouse.bigquery.warehouse import BigQueryWarehouse
from backbeat.warehouse.rows import DeadRow, RawRow
from tests.conftest import REAL_BIGQUERY_PROJECT

pytestmark = pytest.mark.bigquery


@pytest.fixture(scope="module")
def real_bigquery() -> Iterator[Settings]:
    prefix = f"bb_test_{uuid.uuid4().hex[:8]}"
    settings = with_overrides(
        get_settings(),
        warehouse={
            "backend": "bigquery",
            "bigquery_project": REAL_BIGQUERY_PROJECT,
            "bigquery_endpoint": None,
            "bigquery_write_endpoint": None,
            "raw_dataset": f"{prefix}_raw",
            "vault_dataset": f"{prefix}_vault",
            "marts_dataset": f"{prefix}_marts",
        },
    )
    try:
        init_bigquery(settings.warehouse)
        yield settings
    finally:
        client = bigquery_client(settings.warehouse)
        for name in ("raw", "vault", "marts"):
            client.delete_dataset(
                f"{client.project}.{prefix}_{name}", delete_contents=True, not_found_ok=True
            )


def test_rows_land_once_in_real_bigquery(real_bigquery: Settings, eventsim_real: Path) -> None:
    lines = (
        (eventsim_real / "kafka_fork_zipcodecore" / "output" / "listen_events")
        .read_bytes()
        .splitlines()
    )
    rows = [
        RawRow("listen_events", 0, offset, 1_703_500_000_000, msgspec.json.decode(line)["ts"], line)
        for offset, line in enumerate(lines)
    ]
    dead = DeadRow.rejected(
        "listen_events", 0, len(rows), 1_703_500_000_000, "bad", b"{", 1_703_500_000_001
    )
    writer = BigQueryRawWriter(real_bigquery.warehouse)
    assert writer.write([*rows[:50], dead]).written == 51
    writer.close()
    restarted = BigQueryRawWriter(real_bigquery.warehouse)
    assert restarted.high_water_mark("listen_events", "listen_events", 0) == 49
    assert restarted.write([*rows, dead]).written == len(rows) - 50
    restarted.close()
    warehouse = BigQueryWarehouse(real_bigquery.warehouse)
    counts = warehouse.raw_counts()
    assert counts["listen_events"] == len(rows) and counts["dead_letter"] == 1
    distinct = warehouse.query("SELECT COUNT(DISTINCT _offset) FROM raw.listen_events").rows
    assert distinct == [(len(rows),)]
