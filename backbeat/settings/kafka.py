"""Where Kafka is and how Backbeat's clients talk to it."""

from __future__ import annotations

from typing import TypeAlias

from pydantic import Field, SecretStr, field_validator

from backbeat.settings.base import SettingsGroup, settings_config

#: A librdkafka configuration, as confluent-kafka's clients take it.
ClientConfig: TypeAlias = dict[str, str | int | float | bool]


class KafkaSettings(SettingsGroup):
    """Kafka clients (producer, consumers, admin) and the topics Backbeat uses."""

    group = "kafka"
    model_config = settings_config(group)

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        description=(
            "Comma-separated host:port list of brokers. The local stack starts one broker per "
            "address (so they must be on 127.0.0.1 for `backbeat up`): list three, e.g. "
            "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292, for a 3-broker cluster."
        ),
    )
    client_properties: dict[str, SecretStr] = Field(
        default_factory=dict,
        description=(
            "Extra librdkafka properties as a JSON object, merged into every client's config, "
            'e.g. {"security.protocol": "SASL_SSL", "sasl.mechanisms": "PLAIN", '
            '"sasl.username": "...", "sasl.password": "..."} for Confluent Cloud. '
            "Values are treated as secrets and never printed."
        ),
    )
    topic_partitions: int = Field(
        default=4,
        ge=1,
        description="Partitions of each topic Backbeat creates (the unit of consumer parallelism).",
    )
    topic_replication_factor: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Replicas of each topic Backbeat creates; unset, the cluster's "
            "default.replication.factor (the local stack: one per broker, up to 3)."
        ),
    )

    # Kafka's disk is bounded by both: at 5,000 events/s a week of page views alone is
    # about 1.5 TB, more than most disks; the size bound is the one that holds first.
    topic_retention_hours: float = Field(
        default=168,
        gt=0,
        description=(
            "How long Kafka keeps the records of each topic Backbeat creates (retention.ms), "
            "hours. A dataflow down longer than this cannot read what it missed "
            "(see fail_on_data_loss)."
        ),
    )
    topic_retention_bytes: int = Field(
        default=2 * 1024**3,
        ge=-1,
        description=(
            "Most bytes Kafka keeps per partition of each topic Backbeat creates "
            "(retention.bytes; -1: no size bound). Kafka's disk is at most about "
            "topics x partitions x replicas x this; the oldest records go first."
        ),
    )
    fail_on_data_loss: bool = Field(
        default=True,
        description=(
            "A dataflow that must read records Kafka no longer holds (it was down longer than "
            "retention) stops and names the records lost. Set false to accept the loss once: "
            "it resumes at the oldest record held and counts the skipped ones in "
            "backbeat_<dataflow>_kafka_records_lost_total."
        ),
    )

    def topic_config(self) -> dict[str, str]:
        """The per-topic configs of the topics Backbeat creates: their time and size bounds."""
        return {
            "retention.ms": str(int(self.topic_retention_hours * 3_600_000)),
            "retention.bytes": str(self.topic_retention_bytes),
        }

    @field_validator("bootstrap_servers")
    @classmethod
    def _servers_are_host_port(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"expected a comma-separated host:port list, got {value!r}")
        return value

    def client_config(self, **overrides: str | int | float | bool) -> ClientConfig:
        """librdkafka config for a client: servers, then the extra properties, then overrides."""
        config: ClientConfig = {"bootstrap.servers": self.bootstrap_servers}
        config.update(
            {key: secret.get_secret_value() for key, secret in self.client_properties.items()}
        )
        config.update(overrides)
        return config
