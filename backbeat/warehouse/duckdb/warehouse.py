"""Reading the embedded warehouse: `raw.<table>` views over the Parquet files, queried in
BigQuery's dialect (translated to DuckDB by sqlglot)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from backbeat.warehouse.dialect import TranslationError, bigquery_to_duckdb
from backbeat.warehouse.duckdb.types import duckdb_type
from backbeat.warehouse.queries import QueryError, QueryResult
from backbeat.warehouse.raw_schema import RAW_TABLES, table_columns


def to_duckdb(sql: str) -> str:
    """One BigQuery statement in DuckDB's dialect."""
    try:
        statements = bigquery_to_duckdb(sql)
    except TranslationError as exc:
        raise QueryError(str(exc)) from None
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]


class DuckDBWarehouse:
    """The embedded warehouse under `warehouse_dir` (raw Parquet files; later the DuckDB file)."""

    def __init__(self, warehouse_dir: Path) -> None:
        self.dir = warehouse_dir
        self.raw_dir = warehouse_dir / "raw"

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A private in-memory connection with a `raw` schema of views over the files.

        Each reader has its own connection, so readers never lock each other or the loader.
        """
        connection = duckdb.connect()
        connection.execute("CREATE SCHEMA raw")
        for table in RAW_TABLES:
            connection.execute(f"CREATE VIEW raw.{table} AS {self._raw_select(table)}")
        return connection

    def _raw_select(self, table: str) -> str:
        pattern = self.raw_dir / table / "*" / "*.parquet"
        if any(self.raw_dir.glob(f"{table}/*/*.parquet")):
            return (
                f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = true, "
                "hive_types = {'event_date': DATE}, union_by_name = true)"
            )
        # No file yet: an empty table with the right columns, so queries still run.
        typed = ", ".join(
            f'CAST(NULL AS {duckdb_type(kind)}) AS "{name}"' for name, kind in table_columns(table)
        )
        return f"SELECT {typed} WHERE false"

    def raw_counts(self) -> dict[str, int]:
        """Rows in each raw table."""
        union = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM raw.{t}" for t in RAW_TABLES)
        connection = self.connect()
        try:
            return {table: count for table, count in connection.execute(union).fetchall()}
        finally:
            connection.close()

    def query(self, sql: str) -> QueryResult:
        """Run one statement written in BigQuery's dialect."""
        translated = to_duckdb(sql)
        connection = self.connect()
        try:
            cursor = connection.execute(translated)
            columns = [d[0] for d in cursor.description or []]
            return QueryResult(columns, cursor.fetchall())
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0]) from None
        finally:
            connection.close()
