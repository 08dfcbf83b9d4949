"""Reading the embedded warehouse: `raw.<table>` views over the Parquet files, queried in
BigQuery's dialect (translated to DuckDB by sqlglot)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from sqlglot import exp

from backbeat.warehouse.dialect import parse_statement, to_duckdb_sql
from backbeat.warehouse.duckdb.build_log import build_log_select
from backbeat.warehouse.duckdb.types import duckdb_type, sql_string
from backbeat.warehouse.models.spec import BUILD_LOG, Model, build_order, default_models
from backbeat.warehouse.quality_table import RESULT_COLUMNS, RESULTS_FOLDER, RESULTS_TABLE
from backbeat.warehouse.queries import RAW_COUNTS_SQL, QueryError, QueryResult
from backbeat.warehouse.raw_schema import RAW_TABLES, table_columns

#: Compaction swaps a folder at most every few seconds: a reader meets a swap again rarely.
_RELIST_ATTEMPTS = 5
#: What DuckDB says of a file listed and then swapped out by compaction before it was read.
VANISHED = "No such file"


def model_duckdb_type(bigquery_type: str) -> str:
    """A model column's type on DuckDB, as sqlglot translates a CAST to it."""
    return exp.DataType.build(bigquery_type, dialect="bigquery").sql("duckdb")


class DuckDBWarehouse:
    """The embedded warehouse under `warehouse_dir`: Parquet files of every table.

    `raw/<table>/event_date=D/*.parquet` is written by the loader; `vault/<model>/*.parquet`
    and `marts/<model>/*.parquet` by the builds (backbeat/warehouse/duckdb/model_files.py);
    `quality/results/*.parquet` by the quality scans (quality.py); `builds/` is the log of
    finished builds (build_log.py).
    """

    def __init__(self, warehouse_dir: Path, models: dict[str, Model] | None = None) -> None:
        self.dir = warehouse_dir
        self.raw_dir = warehouse_dir / "raw"
        #: The log of finished builds (build_log.py), written by the model store.
        self.builds_dir = warehouse_dir / "builds"
        self.models = default_models() if models is None else models

    def connect(self, pinned: bool = False) -> duckdb.DuckDBPyConnection:
        """A private in-memory connection with `raw`, `vault` and `marts` views over the files.

        Each reader has its own connection, so readers never lock each other, the loader or a
        build: nothing but files is shared, and files appear by atomic rename.

        `pinned`: each view over the files listed now rather than a pattern every query lists
        again, so a reader of several queries (a quality scan) sees one state of the
        warehouse. Tables that read others are listed first, raw last: the vault is
        insert-only, so every key a link holds was in its hubs before it. A file compaction
        swaps out afterwards fails a query with `VANISHED` in its message: connect again.
        """
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        for schema in ("raw", "vault", "marts", "quality"):
            connection.execute(f"CREATE SCHEMA {schema}")
        stored = [m for m in build_order(self.models) if m.stored]
        for model in reversed(stored) if pinned else stored:
            self.refresh_view(connection, model, pinned)
        for table in RAW_TABLES:
            connection.execute(f"CREATE VIEW raw.{table} AS {self._raw_select(table, pinned)}")
        connection.execute(f"CREATE VIEW {BUILD_LOG} AS {build_log_select(self.builds_dir)}")
        results = _files_or_empty(
            self.dir / RESULTS_FOLDER, [(n, duckdb_type(t)) for n, t in RESULT_COLUMNS]
        )
        connection.execute(f"CREATE VIEW quality.{RESULTS_TABLE} AS {results}")
        return connection

    def pinned_connection(self) -> duckdb.DuckDBPyConnection:
        """`connect(pinned=True)`, listing again while a folder is swapped under the listing."""
        for attempt in range(_RELIST_ATTEMPTS):
            try:
                return self.connect(pinned=True)
            except duckdb.IOException as exc:
                if VANISHED not in str(exc) or attempt == _RELIST_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def model_dir(self, model: Model) -> Path:
        return self.dir / model.layer / model.name

    def refresh_view(
        self, connection: duckdb.DuckDBPyConnection, model: Model, pinned: bool = False
    ) -> None:
        """(Re)define the view of a model's table over the files it has now (`pinned`: those
        files only, see `connect`)."""
        folder = self.model_dir(model)
        select = _files_or_empty(
            folder, [(c.name, model_duckdb_type(c.type)) for c in model.columns], pinned
        )
        connection.execute(f"CREATE OR REPLACE VIEW {model.full_name} AS {select}")

    def _raw_select(self, table: str, pinned: bool = False) -> str:
        listed = sorted(self.raw_dir.glob(f"{table}/*/*.parquet"))
        if listed:
            files = (
                _file_list(listed)
                if pinned
                else sql_string(self.raw_dir / table / "*" / "*.parquet")
            )
            return (
                f"SELECT * FROM read_parquet({files}, hive_partitioning = true, "
                "hive_types = {'event_date': DATE}, union_by_name = true)"
            )
        # No file yet: an empty table with the right columns, so queries still run.
        typed = ", ".join(
            f'CAST(NULL AS {duckdb_type(kind)}) AS "{name}"' for name, kind in table_columns(table)
        )
        return f"SELECT {typed} WHERE false"

    def raw_counts(self) -> dict[str, int]:
        """Rows in each raw table."""
        return {str(table): int(count) for table, count in self.query(RAW_COUNTS_SQL).rows}

    def query(self, sql: str) -> QueryResult:
        """Run one statement written in BigQuery's dialect."""
        try:
            return self._run(to_duckdb_sql(parse_statement(sql)))
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0]) from None

    def _run(self, sql: str) -> QueryResult:
        """Run DuckDB SQL on a fresh connection. A file that vanished between listing and
        reading was replaced by compaction (the folder now holds the merged file): list the
        files again and rerun, which sees the new state whole."""
        for attempt in range(_RELIST_ATTEMPTS):
            connection: duckdb.DuckDBPyConnection | None = None
            try:
                # Defining the views lists and opens the files too: it can meet a swap as well.
                connection = self.connect()
                cursor = connection.execute(sql)
                columns = [d[0] for d in cursor.description or []]
                return QueryResult(columns, cursor.fetchall())
            except duckdb.IOException as exc:
                if VANISHED not in str(exc) or attempt == _RELIST_ATTEMPTS - 1:
                    raise
            finally:
                if connection is not None:
                    connection.close()
        raise AssertionError("unreachable")


def _file_list(paths: list[Path]) -> str:
    return "[" + ", ".join(sql_string(p) for p in paths) + "]"


def _files_or_empty(folder: Path, columns: list[tuple[str, str]], pinned: bool = False) -> str:
    """A SELECT of the Parquet files in `folder` (`pinned`: those there now), or of no rows
    with `columns` (name, DuckDB type) while there is none, so queries still run."""
    listed = sorted(folder.glob("*.parquet"))
    if listed:
        files = _file_list(listed) if pinned else sql_string(folder / "*.parquet")
        return f"SELECT * FROM read_parquet({files}, union_by_name = true)"
    typed = ", ".join(f'CAST(NULL AS {kind}) AS "{name}"' for name, kind in columns)
    return f"SELECT {typed} WHERE false"
