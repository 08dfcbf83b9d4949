"""Helpers of the warehouse tests: a build of the shipped models on an embedded warehouse."""

from __future__ import annotations

from pathlib import Path

from backbeat.settings import get_settings, with_overrides
from backbeat.warehouse import open_build
from backbeat.warehouse.build import BuildReport, WarehouseBuild


def duckdb_build(root: Path) -> WarehouseBuild:
    """The build `backbeat build` runs, on the DuckDB warehouse under `root`."""
    settings = with_overrides(get_settings(), warehouse={"backend": "duckdb", "dir": root})
    return open_build(settings)


def build(root: Path) -> BuildReport:
    return duckdb_build(root).run()
