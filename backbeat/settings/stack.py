"""The local stack: where its state lives and how its services run."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from backbeat.settings.base import SettingsGroup, settings_config


class StackSettings(SettingsGroup):
    """`backbeat up|down|status|logs`: real Kafka, Redis and Prefect on 127.0.0.1."""

    group = "stack"
    model_config = settings_config(group)

    state_dir: Path = Field(
        default=Path(".backbeat"),
        description="Data, pid files and logs of the local services (relative to the working dir).",
    )
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "backbeat",
        description="Downloads kept between runs and clones: Kafka's jars from Maven Central.",
    )
    kafka_version: str = Field(
        default="4.4.0",
        pattern=r"^4\.\d+\.\d+$",
        description="Apache Kafka release to run (4.x, KRaft); its jars are resolved with Maven.",
    )
    kafka_controller_port: int = Field(
        default=9093,
        ge=1,
        le=65535,
        description=(
            "Port of the local broker's KRaft controller listener (on 127.0.0.1); with "
            "several brokers, the k-th broker's (from 0) is this port + k."
        ),
    )
    kafka_heap: str = Field(
        default="512m",
        pattern=r"^\d+[kmg]$",
        description="Maximum Java heap of the local Kafka broker (-Xmx).",
    )
    redis_cluster_masters: int = Field(
        default=3,
        ge=1,
        le=16,
        description=(
            "Masters of the local Redis Cluster, when BACKBEAT_REDIS_CLUSTER is set: node k "
            "(from 0) listens on the Redis URL's port + k."
        ),
    )
    start_timeout_s: float = Field(
        default=90.0,
        gt=0,
        description="Seconds `backbeat up` waits for each service to pass its readiness check.",
    )
