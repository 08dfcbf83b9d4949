"""BigQuery in, DuckDB out: each translation rule as a pair, and the answer DuckDB gives."""

from __future__ import annotations

import duckdb
import pytest

from backbeat.warehouse.dialect import TranslationError, bigquery_to_duckdb


@pytest.mark.parametrize(
    ("bigquery", "duckdb_sql", "answer"),
    [
        ("SELECT FORMAT('%d-%d', 3, 4)", "SELECT PRINTF('%d-%d', 3, 4)", "3-4"),
        ("SELECT FORMAT('%s/%s', 'a', 'b')", "SELECT PRINTF('%s/%s', 'a', 'b')", "a/b"),
        ("SELECT CONCAT('a', 'b')", "SELECT 'a' || 'b'", "ab"),
        (
            "SELECT SAFE_CONVERT_BYTES_TO_STRING(CODE_POINTS_TO_BYTES(TO_CODE_POINTS('BjÃ¶rk')))",
            "SELECT DECODE(UNHEX(ARRAY_TO_STRING(LIST_TRANSFORM(STR_SPLIT('BjÃ¶rk', ''), "
            "LAMBDA ch : PRINTF('%02X', UNICODE(ch))), '')))",
            "Björk",
        ),
    ],
)
def test_translation_pairs(bigquery: str, duckdb_sql: str, answer: str) -> None:
    (translated,) = bigquery_to_duckdb(bigquery)
    assert translated == duckdb_sql
    assert duckdb.sql(translated).fetchall() == [(answer,)]


def test_several_statements_are_kept_apart() -> None:
    assert bigquery_to_duckdb("SELECT 1; SELECT 2") == ["SELECT 1", "SELECT 2"]


def test_invalid_sql_is_a_translation_error() -> None:
    with pytest.raises(TranslationError, match="not valid BigQuery SQL"):
        bigquery_to_duckdb("SELECT (1")
