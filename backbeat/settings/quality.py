"""Data quality scans (`backbeat quality`, the `quality-scan` flow)."""

from __future__ import annotations

from pydantic import Field

from backbeat.settings.base import SettingsGroup, settings_config


class QualitySettings(SettingsGroup):
    """What the Soda contracts measure against, and where their results are kept."""

    group = "quality"
    model_config = settings_config(group)

    raw_freshness_minutes: float = Field(
        default=60.0,
        gt=0,
        description="Raw tables fail their freshness check when the newest row was loaded "
        "longer ago than this (the loader writes within seconds while events flow).",
    )
    results_dataset: str = Field(
        default="quality",
        description="BigQuery dataset of the `quality.results` table (on DuckDB, the folder "
        "`quality/results` of the warehouse).",
    )
