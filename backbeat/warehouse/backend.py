"""What a warehouse backend provides: everything Backbeat does that depends on where the
tables live, behind one interface.

A backend is one folder, `backbeat/warehouse/<name>/`, whose `backend.py` defines
`Backend(settings, in_flow)` satisfying `WarehouseBackend`; `open_backend()` (the package's
`__init__`) picks the folder named by `BACKBEAT_WAREHOUSE_BACKEND`, and nothing else in
Backbeat asks which backend it runs on. Everything that does not depend on the storage (the
models and their SQL, the build's windows, the contracts) is written once, above this line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from backbeat.warehouse.build import ModelStore
    from backbeat.warehouse.queries import Warehouse
    from backbeat.warehouse.raw_writer import RawWriter


@dataclass
class CompactionReport:
    """What one compaction of the raw tables merged."""

    folders: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0
    skipped: list[str] = field(default_factory=list)


class QualityTarget(Protocol):
    """The warehouse as a place where Soda verifies contracts.

    Names tables as Soda wants them, reports column types as the backend's information schema
    does, translates Backbeat's SQL, and hands Soda a connection the backend opened (so it
    reads the same views and credentials as every other reader).
    """

    def dataset(self, layer: str, table: str) -> str:
        """Soda's `dataset:` for `layer.table`."""
        ...

    def column_type(self, layer: str, bigquery_type: str) -> str:
        """How the backend reports a column declared as `bigquery_type` in `layer`."""
        ...

    def sql(self, query: str) -> str:
        """`query` (BigQuery dialect, logical dataset names) as the backend runs it."""
        ...

    def data_source(self) -> Any:
        """A Soda DataSourceImpl over the backend's own connection."""
        ...

    def store_results(self, rows: list[dict[str, Any]]) -> int:
        """Append one scan's rows to `quality.results` (columns as RESULT_COLUMNS); how many."""
        ...

    def close(self) -> None: ...


class WarehouseBackend(Protocol):
    """One place the warehouse can live: how to read it, write raw, build models into it,
    verify it and keep its storage tidy."""

    #: The name `BACKBEAT_WAREHOUSE_BACKEND` selects it by (and its folder's name).
    name: str

    def location(self) -> str:
        """Where the raw tables are, for messages."""
        ...

    def reader(self) -> Warehouse:
        """Queries in BigQuery SQL over the logical datasets (raises QueryError if the backend
        cannot be reached as configured)."""
        ...

    def raw_writer(self) -> RawWriter:
        """What the loader writes raw rows through (exactly once per Kafka coordinate)."""
        ...

    def model_store(self) -> ModelStore:
        """Where a build stores the vault and marts (raises QueryError as `reader`)."""
        ...

    def quality_target(self) -> QualityTarget:
        """The warehouse as Soda's data source, with `quality.results` beside it."""
        ...

    def compact_raw(self, min_age_days: int) -> CompactionReport | None:
        """Merge raw storage: what the stream keeps adding, and event dates at least
        `min_age_days` old whole (None: the backend compacts its own storage)."""
        ...
