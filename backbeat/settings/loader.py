"""The loader dataflow: Kafka -> raw tables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from backbeat.settings.base import SettingsGroup, settings_config


class LoaderSettings(SettingsGroup):
    """`backbeat load`: micro-batches, recovery and metrics of the loader dataflow."""

    group = "loader"
    model_config = settings_config(group)

    batch_max_rows: int = Field(
        default=20_000, ge=1, description="A micro-batch is written when it has this many rows..."
    )
    # A row waits at most this long before its write: most of the loader's latency
    # (docs/architecture.md, "Time, end to end"). Lower means more, smaller files: a busy
    # topic-partition writes one per bound.
    batch_max_seconds: float = Field(
        default=0.5, gt=0, description="...or when its first row has waited this long."
    )
    workers: int = Field(default=1, ge=1, description="Bytewax workers in the loader process (-w).")
    recovery_dir: Path = Field(
        default=Path(".backbeat/recovery/loader"),
        description="Bytewax recovery partitions (offsets and open batches survive a crash).",
    )
    snapshot_seconds: int = Field(
        default=5, ge=1, description="How often recovery state is snapshotted, whole seconds (-s)."
    )
    metrics_port: int = Field(
        default=9464, ge=0, le=65535, description="Prometheus /metrics port on 127.0.0.1 (0: off)."
    )
    group_id: str = Field(
        default="backbeat-loader",
        description="Name under which the loader reports its Kafka lag (offsets live in recovery).",
    )
