"""A BigQuery warehouse an older Backbeat built keeps building: model tables gain the columns
this version declares (marts.pipeline_freshness gained its event -> mart lags)."""

from __future__ import annotations

from google.cloud import bigquery

from backbeat.emit.sinks import DirectRawSink
from backbeat.events import encode
from backbeat.settings import get_settings
from backbeat.warehouse import open_build, open_warehouse
from backbeat.warehouse.bigquery.client import bigquery_client
from backbeat.warehouse.bigquery.raw_writer import BigQueryRawWriter
from backbeat.warehouse.bigquery.setup import init_bigquery
from backbeat.warehouse.models.spec import default_models
from tests.conftest import BigQueryEmulator
from tests.events.plays import a_play

OLDER_COLUMNS = ("minute", "minute_date", "topic", "events", "lag_p50_s", "lag_p95_s", "lag_max_s")


def test_a_mart_made_by_an_older_backbeat_gains_the_new_columns(
    bigquery_emulator: BigQueryEmulator,
) -> None:
    settings = bigquery_emulator.settings(
        get_settings(), raw_dataset="up_raw", vault_dataset="up_vault", marts_dataset="up_marts"
    )
    init_bigquery(settings.warehouse)
    model = default_models()["marts.pipeline_freshness"]
    older = [bigquery.SchemaField(c.name, c.type) for c in model.columns if c.name in OLDER_COLUMNS]
    client = bigquery_client(settings.warehouse)
    client.create_table(bigquery.Table("backbeat-test.up_marts.pipeline_freshness", older))
    writer = BigQueryRawWriter(settings.warehouse)
    sink = DirectRawSink(writer, ingested_ms=1_704_067_230_000)
    for n in range(3):
        sink.write("listen_events", None, encode(a_play(1_704_067_200_000 + n, 1, 7)))
    sink.close()
    writer.close()
    open_build(settings).run()
    open_build(settings).run()  # adds the minute the first build covered
    # The new columns are there to write and read (the emulator's table metadata does not
    # follow DDL, so this is checked by querying them, as a reader would).
    rows = (
        open_warehouse(settings)
        .query("SELECT events, backlog_events, event_to_mart_p95_s FROM marts.pipeline_freshness")
        .rows
    )
    ((events, backlog, to_mart_p95),) = rows
    # Loaded 30 s after their event time: live; in the marts when the (much later) first build
    # ended.
    assert (events, backlog) == (3, 0) and to_mart_p95 > 30
