"""Reading a warehouse: one SQL statement in BigQuery's dialect, on either backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Protocol

from backbeat.warehouse.raw_schema import RAW_TABLES

#: Rows in each raw table, as (table, rows): the same question on both backends.
RAW_COUNTS_SQL: Final = " UNION ALL ".join(
    f"SELECT '{table}' AS tbl, COUNT(*) AS n FROM raw.{table}" for table in RAW_TABLES
)


class QueryError(ValueError):
    """A query that cannot run; the message says why (for a person)."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


class Warehouse(Protocol):
    def query(self, sql: str) -> QueryResult:
        """Run one statement written in BigQuery's dialect; table names `raw.<table>` & co."""
        ...

    def raw_counts(self) -> dict[str, int]:
        """Rows in each raw table."""
        ...
