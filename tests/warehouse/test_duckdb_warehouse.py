from __future__ import annotations

from pathlib import Path

import pytest

from backbeat.events import encode
from backbeat.events.schemas import PageViewEvent
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from backbeat.warehouse.queries import QueryError
from backbeat.warehouse.raw_schema import RAW_TABLES
from backbeat.warehouse.rows import RawRow


def test_empty_warehouse_has_every_raw_table_with_its_columns(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path)
    assert warehouse.raw_counts() == dict.fromkeys(RAW_TABLES, 0)
    result = warehouse.query("SELECT ts, userId, _offset, event_date FROM raw.listen_events")
    assert result.columns == ["ts", "userId", "_offset", "event_date"] and result.rows == []


def test_queries_are_bigquery_sql(tmp_path: Path) -> None:
    event = PageViewEvent(
        ts=1_704_067_200_000,
        session_id=1,
        page="Home",
        auth="Guest",
        method="GET",
        status=200,
        level="free",
        item_in_session=0,
    )
    RawParquetWriter(tmp_path).write([RawRow("page_view_events", 2, 9, 0, event.ts, encode(event))])
    result = DuckDBWarehouse(tmp_path).query(
        "SELECT FORMAT('%d/%d', _partition, _offset) AS coordinates, DATE(ts) AS day "
        "FROM raw.page_view_events WHERE page = 'Home'"
    )
    assert [(r[0], str(r[1])) for r in result.rows] == [("2/9", "2024-01-01")]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM raw.plays", "does not exist"),
        ("SELECT 1; SELECT 2", "expected one SQL statement, got 2"),
        ("SELECT (", "not valid BigQuery SQL"),
    ],
)
def test_bad_queries_say_what_is_wrong(tmp_path: Path, sql: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        DuckDBWarehouse(tmp_path).query(sql)
