"""The embedded backend as a `WarehouseBackend`: Parquet files under one directory."""

from __future__ import annotations

from backbeat.settings import Settings
from backbeat.warehouse.backend import CompactionReport
from backbeat.warehouse.duckdb.compaction import RawCompactor
from backbeat.warehouse.duckdb.model_files import ParquetModelStore
from backbeat.warehouse.duckdb.quality import DuckDBQualityTarget
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse


class Backend:
    name = "duckdb"

    def __init__(self, settings: Settings, in_flow: bool = False) -> None:
        """`in_flow` changes nothing here: a flow reads the same files as the CLI."""
        self._dir = settings.warehouse.dir
        self._memory_limit = settings.warehouse.build_memory_limit

    def location(self) -> str:
        return f"{self._dir}/raw"

    def reader(self) -> DuckDBWarehouse:
        return DuckDBWarehouse(self._dir)

    def raw_writer(self) -> RawParquetWriter:
        return RawParquetWriter(self._dir)

    def model_store(self) -> ParquetModelStore:
        return ParquetModelStore(DuckDBWarehouse(self._dir), memory_limit=self._memory_limit)

    def quality_target(self) -> DuckDBQualityTarget:
        return DuckDBQualityTarget(DuckDBWarehouse(self._dir))

    def compact_raw(self, min_age_days: int) -> CompactionReport:
        return RawCompactor(self._dir, min_age_days=min_age_days).run()
