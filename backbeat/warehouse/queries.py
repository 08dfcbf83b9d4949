"""Reading a warehouse: one SQL statement in BigQuery's dialect, on either backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


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
