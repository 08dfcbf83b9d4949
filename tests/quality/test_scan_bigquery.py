"""The same contracts on BigQuery (the emulator): real data passes, a planted defect fails
its check, a table never built is a failure, and the results land in quality.results."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbeat.emit.runs import run_replay
from backbeat.emit.sinks import DirectRawSink
from backbeat.quality.report import markdown_report
from backbeat.quality.runner import scan_warehouse
from backbeat.quality.scan import UNVERIFIED_CHECK
from backbeat.settings import Settings, get_settings
from backbeat.warehouse import open_build, open_warehouse
from backbeat.warehouse.bigquery.client import bigquery_client
from backbeat.warehouse.bigquery.raw_writer import BigQueryRawWriter
from backbeat.warehouse.bigquery.setup import init_bigquery
from tests.conftest import BigQueryEmulator
from tests.quality.test_scan import every_table


@pytest.fixture(scope="module")
def built(bigquery_emulator: BigQueryEmulator, eventsim_real: Path) -> Settings:
    settings = bigquery_emulator.settings(
        get_settings(),
        raw_dataset="quality_raw",
        vault_dataset="quality_vault",
        marts_dataset="quality_marts",
    )
    init_bigquery(settings.warehouse)
    never_built = scan_warehouse(settings, ["vault"])
    assert {r.check for r in never_built.failed} == {UNVERIFIED_CHECK}
    assert len(never_built.failed) == len({r.contract for r in never_built.results})
    run_replay(
        [eventsim_real / "sparkify_dend_log_data"],
        DirectRawSink(BigQueryRawWriter(settings.warehouse)),
    )
    open_build(settings).run()
    return settings


def test_real_data_passes_every_contract_on_bigquery(built: Settings) -> None:
    scan = scan_warehouse(built)
    assert scan.failed == [], markdown_report(scan)
    assert {r.contract for r in scan.results} == every_table()
    stored = open_warehouse(built).query(
        f"SELECT COUNT(*) FROM `{built.warehouse.bigquery_project}.quality.results` "
        f"WHERE run_id = '{scan.run_id}'"
    )
    assert stored.rows == [(len(scan.results),)]


def test_a_planted_defect_fails_its_check_on_bigquery(built: Settings) -> None:
    client = bigquery_client(built.warehouse)
    table = f"{client.project}.quality_raw.listen_events"
    client.query(
        f"INSERT INTO `{table}` SELECT * REPLACE (-1.0 AS duration, 99999999 AS _offset) "
        f"FROM `{table}` LIMIT 1"
    ).result()
    scan = scan_warehouse(built, ["raw"])
    assert {r.label for r in scan.failed} == {
        "raw.listen_events: failed_rows (durations are positive)"
    }
