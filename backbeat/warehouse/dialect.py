"""BigQuery SQL to DuckDB: sqlglot, plus the rules where its output would be wrong.

Backbeat's SQL is written once, in BigQuery's dialect. sqlglot translates it for DuckDB;
where that translation silently changes the answer, a rule here rewrites the expression
first. Each rule is tested as a (BigQuery, DuckDB) pair in tests/warehouse/test_dialect.py.

- `FORMAT('%d-%d', a, b)` is printf-style in BigQuery; sqlglot keeps `FORMAT`, which DuckDB
  reads as `{}`-style, returning the pattern itself. Rule: DuckDB's `printf`
  (https://duckdb.org/docs/sql/functions/char).
- `SAFE_CONVERT_BYTES_TO_STRING(CODE_POINTS_TO_BYTES(TO_CODE_POINTS(s)))` reads a string's
  characters as Latin-1 bytes and decodes them as UTF-8: the repair of eventsim's mojibake.
  DuckDB has none of the three functions. Rule: each character's code point as two hex
  digits, `from_hex`, then `decode`. Models guard it with a regex so it only sees strings
  whose characters are all below U+0100 and form valid UTF-8.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from backbeat.warehouse.queries import QueryError


class TranslationError(QueryError):
    """SQL that cannot be read as BigQuery or run on DuckDB as written; the message says why."""


def _format_to_printf(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Format):
        return exp.Anonymous(this="printf", expressions=[node.this, *node.expressions])
    return node


def _latin1_to_utf8(node: exp.Expression) -> exp.Expression:
    if (
        isinstance(node, exp.SafeConvertBytesToString)
        and isinstance(node.this, exp.CodePointsToBytes)
        and isinstance(node.this.this, exp.ToCodePoints)
    ):
        text = node.this.this.this.sql(dialect="duckdb")
        return cast(
            exp.Expression,
            sqlglot.parse_one(
                "decode(from_hex(array_to_string(list_transform(string_split("
                f"{text}, ''), lambda ch: printf('%02X', unicode(ch))), '')))",
                read="duckdb",
            ),
        )
    return node


_RULES: tuple[Callable[[exp.Expression], exp.Expression], ...] = (
    _format_to_printf,
    _latin1_to_utf8,
)


def parse_bigquery(sql: str) -> list[exp.Expression]:
    """Every statement of `sql`, read as BigQuery."""
    try:
        trees = sqlglot.parse(sql, read="bigquery")
    except ParseError as exc:
        detail = exc.errors[0]["description"] if exc.errors else str(exc)
        raise TranslationError(f"not valid BigQuery SQL: {detail}") from None
    return [cast(exp.Expression, tree) for tree in trees if tree is not None]


def parse_statement(sql: str) -> exp.Expression:
    """The one statement of `sql`, read as BigQuery (more or fewer is an error)."""
    trees = parse_bigquery(sql)
    if len(trees) != 1:
        raise TranslationError(f"expected one SQL statement, got {len(trees)}")
    return trees[0]


def to_duckdb_sql(tree: exp.Expression) -> str:
    """A BigQuery statement's tree as DuckDB SQL, the rules above applied."""
    for rule in _RULES:
        tree = tree.transform(rule)
    return tree.sql(dialect="duckdb")


def bigquery_to_duckdb(sql: str) -> list[str]:
    """Every statement of `sql` (BigQuery) as DuckDB SQL."""
    return [to_duckdb_sql(tree) for tree in parse_bigquery(sql)]
