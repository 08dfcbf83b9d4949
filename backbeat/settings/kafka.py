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
