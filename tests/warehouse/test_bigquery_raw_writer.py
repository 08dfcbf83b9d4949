"""The BigQuery raw writer: proto rows (pure) and Storage Write API appends on the emulator."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import msgspec
import pytest

from backbeat.events.codec import encode
from backbeat.kafka.topics import EVENT_TOPICS
from backbeat.settings import Settings, get_settings
from backbeat.warehouse.bigquery.client import BigQueryConfigError
from backbeat.warehouse.bigquery.proto_rows import dead_row_bytes, event_row_bytes, table_proto
from backbeat.warehouse.bigquery.raw_writer import BigQueryRawWriter, chunked
from backbeat.warehouse.bigquery.setup import init_bigquery
from backbeat.warehouse.bigquery.warehouse import BigQueryWarehouse, qualify_datasets
from backbeat.warehouse.freshness import freshness_sql
from backbeat.warehouse.queries import QueryError
from backbeat.warehouse.raw_schema import raw_columns
from backbeat.warehouse.rows import DeadRow, RawRow
from dataflows.connectors.offers_sink import offer_record
from offers.engine import Decision
from tests.conftest import BigQueryEmulator

KAFKA_MS = 1_703_500_000_000


def _sample_rows(eventsim_real: Path, topic: str, limit: int = 50) -> list[RawRow]:
    lines = (eventsim_real / "kafka_fork_zipcodecore" / "output" / topic).read_bytes().splitlines()
    rows = []
    for offset, line in enumerate(lines[:limit]):
        event = msgspec.json.decode(line)
        rows.append(RawRow(topic, 0, offset, KAFKA_MS + offset, event["ts"], line))
    return rows


@pytest.mark.parametrize("topic", EVENT_TOPICS)
def test_every_real_record_becomes_a_row_with_the_same_values(
    eventsim_real: Path, topic: str
) -> None:
    proto = table_proto(topic)
    assert [f.name for f in proto.descriptor.field] == [name for name, _ in raw_columns(topic)]
    for row in _sample_rows(eventsim_real, topic):
        message = proto.message_class()
        message.ParseFromString(event_row_bytes(row, ingested_ms=KAFKA_MS + 5))
        event = msgspec.json.decode(row.value)
        for name, value in event.items():
            expected = value * 1000 if name in ("ts", "registration") else value
            assert getattr(message, name) == pytest.approx(expected), name
        for absent in {n for n, _ in raw_columns(topic)} - set(event) - {"event_date"}:
            if not absent.startswith("_"):
                assert not message.HasField(absent), absent  # NULL, not 0 or ""
        assert (message._offset, message._kafka_ts) == (row.offset, row.kafka_ts_ms * 1000)
        assert message.event_date == row.event_ms // 86_400_000


def test_an_offer_record_becomes_a_row_with_its_times_as_timestamps() -> None:
    decision = Decision(
        offer_id="abc",
        user_id=7,
        rule_id="trial",
        offer_type="premium_trial",
        payload={"trial_days": 30},
        reason="Opened Upgrade 2 times",
        priority=90,
        decided_at_ms=KAFKA_MS - 1_000,
        expires_at_ms=KAFKA_MS + 7_200_000,
        holdout=True,
    )
    row = RawRow("offers", 0, 3, KAFKA_MS, decision.decided_at_ms, encode(offer_record(decision)))
    message = table_proto("offers").message_class()
    message.ParseFromString(event_row_bytes(row, ingested_ms=KAFKA_MS + 5))
    assert (message.ts, message.expires_at) == (
        decision.decided_at_ms * 1000,
        decision.expires_at_ms * 1000,
    )
    assert (message.offer_id, message.user_id, message.holdout) == ("abc", 7, True)
    assert msgspec.json.decode(message.payload) == {"trial_days": 30}


def test_chunks_keep_order_and_stay_under_the_limit() -> None:
    payloads = [bytes([n]) * size for n, size in enumerate([4, 4, 4, 9, 1, 12, 2])]
    chunks = list(chunked(payloads, limit=10))
    assert [p for chunk in chunks for p in chunk] == payloads
    assert all(sum(map(len, c)) <= 10 or len(c) == 1 for c in chunks)
    assert [len(c) for c in chunks] == [2, 1, 2, 1, 1]


def test_logical_dataset_names_are_rewritten_to_the_configured_ones() -> None:
    sql = qualify_datasets(
        "WITH l AS (SELECT * FROM raw.listen_events) SELECT * FROM l JOIN marts.users USING (u)",
        "music-prod",
        {"raw": "bb_raw", "vault": "bb_vault", "marts": "bb_marts"},
    )
    assert "`music-prod`.bb_raw.listen_events" in sql and "`music-prod`.bb_marts.users" in sql
    assert "FROM l " in sql  # a CTE is not a table
    with pytest.raises(QueryError, match="one SQL statement"):
        qualify_datasets("SELECT 1; SELECT 2", "p", {})


def _emulator_settings(emulator: BigQueryEmulator, dataset: str) -> Settings:
    settings = emulator.settings(get_settings(), raw_dataset=dataset)
    init_bigquery(settings.warehouse)
    return settings


def test_appends_land_once_and_a_new_writer_skips_what_is_stored(
    bigquery_emulator: BigQueryEmulator, eventsim_real: Path
) -> None:
    settings = _emulator_settings(bigquery_emulator, "raw_writer")
    views = _sample_rows(eventsim_real, "page_view_events", limit=60)
    dead = DeadRow.rejected("page_view_events", 1, 7, KAFKA_MS, "not JSON", b"{oops", KAFKA_MS + 1)
    writer = BigQueryRawWriter(settings.warehouse)
    first = writer.write([*views[:40], dead], ingested_ms=KAFKA_MS + 10)
    assert (first.written, first.skipped) == (41, 0)
    again = writer.write(views[:50])  # 40 already stored, 10 new
    assert (again.written, again.skipped) == (10, 40)
    writer.close()

    restarted = BigQueryRawWriter(settings.warehouse)  # marks read back from the tables
    assert restarted.high_water_mark("page_view_events", "page_view_events", 0) == 49
    assert restarted.high_water_mark("dead_letter", "page_view_events", 1) == 7
    assert restarted.unwritten([*views, dead]) == views[50:]
    assert restarted.write([*views, dead]).written == 10
    restarted.close()

    warehouse = BigQueryWarehouse(settings.warehouse)
    counts = warehouse.raw_counts()
    assert counts["page_view_events"] == 60 and counts["dead_letter"] == 1
    result = warehouse.query(
        "SELECT COUNT(DISTINCT _offset) AS n, MIN(ts) AS first_ts, MIN(event_date) AS day "
        "FROM raw.page_view_events"
    )
    n, first_ts, day = result.rows[0]
    assert n == 60
    first_ms = min(msgspec.json.decode(r.value)["ts"] for r in views)
    assert first_ts == dt.datetime.fromtimestamp(first_ms / 1000, dt.UTC)
    assert day == first_ts.date()
    letter = warehouse.query("SELECT error, original, source_offset FROM raw.dead_letter").rows
    assert letter == [("not JSON", b"{oops", 7)]


def test_a_missing_dataset_is_a_clear_error(bigquery_emulator: BigQueryEmulator) -> None:
    settings = bigquery_emulator.settings(get_settings(), raw_dataset="never_initialised")
    with pytest.raises(BigQueryConfigError, match="backbeat bigquery init"):
        BigQueryRawWriter(settings.warehouse)


def test_dead_rows_serialize_their_bytes_unchanged() -> None:
    dead = DeadRow.rejected(
        "auth_events", 2, 9, KAFKA_MS, "missing `ts`", b"\xff\x00{", KAFKA_MS + 3
    )
    message = table_proto("dead_letter").message_class()
    message.ParseFromString(dead_row_bytes(dead))
    assert (message.original, message.error, message.failed_at) == (
        b"\xff\x00{",
        "missing `ts`",
        (KAFKA_MS + 3) * 1000,
    )


def test_freshness_query_runs_on_bigquery(
    bigquery_emulator: BigQueryEmulator, eventsim_real: Path
) -> None:
    settings = _emulator_settings(bigquery_emulator, "raw_freshness")
    now_ms = int(time.time() * 1000)
    rows = [
        RawRow(r.topic, r.partition, r.offset, now_ms - 1_500, r.event_ms, r.value)
        for r in _sample_rows(eventsim_real, "auth_events")
    ]
    writer = BigQueryRawWriter(settings.warehouse)
    writer.write(rows, ingested_ms=now_ms)
    writer.close()
    result = BigQueryWarehouse(settings.warehouse).query(freshness_sql(60))
    found = {row[0]: dict(zip(result.columns, row, strict=True)) for row in result.rows}
    assert found["raw.auth_events"]["rows"] == len(rows) == 4
    assert found["raw.auth_events"]["produce_to_raw_p50_s"] == 1.5
    assert found["raw.listen_events"]["rows"] == 0
