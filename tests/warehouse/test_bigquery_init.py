"""`backbeat bigquery init` against a local BigQuery (bqemulator), through the official client."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from backbeat.settings import get_settings, with_overrides
from backbeat.warehouse.bigquery.client import BigQueryConfigError, bigquery_client
from backbeat.warehouse.bigquery.setup import init_bigquery
from backbeat.warehouse.bigquery.tables import raw_table_specs, table_definition
from backbeat.warehouse.raw_schema import raw_columns, table_columns
from tests.conftest import BigQueryEmulator


def test_table_definitions_are_partitioned_by_day_and_clustered() -> None:
    specs = {spec.name: spec for spec in raw_table_specs()}
    assert set(specs) == {
        "listen_events",
        "page_view_events",
        "auth_events",
        "status_change_events",
        "offers",
        "offer_events",
        "recommendation_judgements",
        "dead_letter",
    }
    table = table_definition("p", "raw", specs["listen_events"])
    assert table.time_partitioning.field == "event_date" and table.time_partitioning.type_ == "DAY"
    assert table.clustering_fields == ["_ingested_at", "userId"]  # builds read by load time
    assert [(f.name, f.field_type) for f in table.schema] == raw_columns("listen_events")
    assert table_definition("p", "raw", specs["dead_letter"]).clustering_fields == ["source_topic"]
    assert table_definition("p", "raw", specs["offers"]).clustering_fields == [
        "_ingested_at",
        "user_id",
    ]


def test_a_missing_project_is_a_clear_error() -> None:
    settings = with_overrides(get_settings(), warehouse={"bigquery_project": None}).warehouse
    with pytest.raises(BigQueryConfigError, match="BACKBEAT_WAREHOUSE_BIGQUERY_PROJECT"):
        bigquery_client(settings)


def test_init_creates_datasets_and_tables_once(bigquery_emulator: BigQueryEmulator) -> None:
    settings = bigquery_emulator.settings(
        get_settings(),
        raw_dataset="raw_init",
        vault_dataset="vault_init",
        marts_dataset="marts_init",
    ).warehouse
    first = init_bigquery(settings)
    assert sorted(first.created_datasets) == ["marts_init", "raw_init", "vault_init"]
    # four event topics, offers, offer_events, recommendation_judgements, dead_letter, and
    # the log of finished builds (read by `backbeat freshness` before any build)
    assert len(first.created_tables) == 9
    assert "vault_init.build_log" in first.created_tables
    again = init_bigquery(settings)
    assert again.created_datasets == [] and again.created_tables == []
    client = bigquery_client(settings)
    table = client.get_table("backbeat-test.raw_init.page_view_events")
    assert table.time_partitioning.field == "event_date"
    assert table.clustering_fields == ["_ingested_at", "userId"]  # builds read by load time
    assert [(f.name, f.field_type) for f in table.schema] == raw_columns("page_view_events")
    rows = list(
        client.query("SELECT COUNT(*) AS n FROM `backbeat-test.raw_init.listen_events`").result()
    )
    assert rows[0]["n"] == 0


def test_init_adds_the_columns_a_newer_backbeat_declares(
    bigquery_emulator: BigQueryEmulator,
) -> None:
    """raw.dead_letter gained columns (#15); an existing dataset gets them from `init`."""
    settings = bigquery_emulator.settings(get_settings(), raw_dataset="raw_upgrade").warehouse
    client = bigquery_client(settings)
    client.create_dataset("backbeat-test.raw_upgrade", exists_ok=True)
    older = next(c for c in raw_table_specs() if c.name == "dead_letter")
    old_schema = [f for f in older.schema() if f.name not in ("stage", "source_file", "_topic")]
    client.create_table(bigquery.Table("backbeat-test.raw_upgrade.dead_letter", old_schema))
    report = init_bigquery(settings)
    assert sorted(report.added_columns) == [
        "dead_letter._topic",
        "dead_letter.source_file",
        "dead_letter.stage",
    ]
    columns = {f.name for f in client.get_table("backbeat-test.raw_upgrade.dead_letter").schema}
    assert columns == {name for name, _ in table_columns("dead_letter")}
    assert init_bigquery(settings).added_columns == []


def test_init_reclusters_raw_tables_by_load_time(bigquery_emulator: BigQueryEmulator) -> None:
    """Raw tables an older Backbeat clustered by user are clustered by `_ingested_at` first,
    what every build filters raw by, so BigQuery prunes the blocks loaded before a window."""
    settings = bigquery_emulator.settings(get_settings(), raw_dataset="raw_recluster").warehouse
    client = bigquery_client(settings)
    client.create_dataset("backbeat-test.raw_recluster", exists_ok=True)
    spec = next(c for c in raw_table_specs() if c.name == "listen_events")
    older = bigquery.Table("backbeat-test.raw_recluster.listen_events", spec.schema())
    older.clustering_fields = ["userId", "sessionId"]
    client.create_table(older)
    report = init_bigquery(settings)
    assert "raw_recluster.listen_events" in report.reclustered
    table = client.get_table("backbeat-test.raw_recluster.listen_events")
    assert table.clustering_fields == ["_ingested_at", "userId"]
    assert "raw_recluster.listen_events" not in init_bigquery(settings).reclustered


def test_cli_prints_the_roles_and_a_json_report(bigquery_emulator: BigQueryEmulator) -> None:
    env = {
        **os.environ,
        "BACKBEAT_WAREHOUSE_BIGQUERY_PROJECT": "backbeat-test",
        "BACKBEAT_WAREHOUSE_BIGQUERY_ENDPOINT": bigquery_emulator.url,
        "BACKBEAT_WAREHOUSE_RAW_DATASET": "raw_cli",
        "BACKBEAT_QUALITY_RESULTS_DATASET": "quality_cli",
    }
    result = subprocess.run(
        [sys.executable, "-m", "backbeat", "bigquery", "init", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "raw_cli.listen_events" in report["created_tables"]
    assert "quality_cli.results" in report["created_tables"]
    assert "roles/bigquery.dataEditor" in report["roles"]
    client = bigquery.Client(
        project="backbeat-test",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=bigquery_emulator.url),
    )
    results = client.get_table("backbeat-test.quality_cli.results")
    assert results.time_partitioning.field == "checked_at"
    assert [f.name for f in results.schema][:3] == ["run_id", "contract", "check_name"]
    missing = subprocess.run(
        [sys.executable, "-m", "backbeat", "bigquery", "init"],
        env={**env, "BACKBEAT_WAREHOUSE_BIGQUERY_PROJECT": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1 and missing.stderr.startswith("error: no BigQuery project")
