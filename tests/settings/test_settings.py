from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from backbeat.settings import Settings, get_settings, temporary_settings
from backbeat.settings.kafka import KafkaSettings
from backbeat.settings.redis import RedisSettings
from backbeat.settings.reference import env_names, settings_reference, settings_table
from backbeat.settings.responses import ResponsesSettings
from backbeat.settings.sessions import SessionsSettings
from backbeat.settings.warehouse import WarehouseSettings

REPO = Path(__file__).resolve().parents[2]

#: A test value for every setting, as it would be written in the environment. A setting
#: added to the model without a line here fails `test_every_setting_has_a_test_value`.
TEST_VALUES: dict[str, str] = {
    "BACKBEAT_KAFKA_BOOTSTRAP_SERVERS": "broker-a:9092,broker-b:9093",
    "BACKBEAT_KAFKA_CLIENT_PROPERTIES": '{"security.protocol": "SASL_SSL", "sasl.password": "pw"}',
    "BACKBEAT_KAFKA_TOPIC_PARTITIONS": "12",
    "BACKBEAT_KAFKA_TOPIC_REPLICATION_FACTOR": "3",
    "BACKBEAT_KAFKA_TOPIC_RETENTION_HOURS": "48",
    "BACKBEAT_KAFKA_TOPIC_RETENTION_BYTES": "1073741824",
    "BACKBEAT_KAFKA_FAIL_ON_DATA_LOSS": "false",
    "BACKBEAT_REDIS_URL": "rediss://cache.internal:6380/2",
    "BACKBEAT_REDIS_PASSWORD": "hunter2",
    "BACKBEAT_REDIS_KEY_PREFIX": "bb:test:",
    "BACKBEAT_REDIS_MAXMEMORY_MB": "512",
    "BACKBEAT_REDIS_MAXMEMORY_POLICY": "volatile-lfu",
    "BACKBEAT_REDIS_CLUSTER": "true",
    "BACKBEAT_PREFECT_API_URL": "https://api.prefect.cloud/api/accounts/a/workspaces/w",
    "BACKBEAT_PREFECT_RUN_RETENTION_DAYS": "3",
    "BACKBEAT_STACK_STATE_DIR": "/var/lib/backbeat",
    "BACKBEAT_STACK_CACHE_DIR": "/var/cache/backbeat",
    "BACKBEAT_STACK_KAFKA_VERSION": "4.3.1",
    "BACKBEAT_STACK_KAFKA_CONTROLLER_PORT": "19093",
    "BACKBEAT_STACK_KAFKA_HEAP": "1g",
    "BACKBEAT_STACK_START_TIMEOUT_S": "30",
    "BACKBEAT_STACK_REDIS_CLUSTER_MASTERS": "6",
    "BACKBEAT_WAREHOUSE_BACKEND": "bigquery",
    "BACKBEAT_WAREHOUSE_DIR": "/data/warehouse",
    "BACKBEAT_WAREHOUSE_BUILD_MEMORY_LIMIT": "6GB",
    "BACKBEAT_WAREHOUSE_BIGQUERY_PROJECT": "music-prod",
    "BACKBEAT_WAREHOUSE_BIGQUERY_LOCATION": "EU",
    "BACKBEAT_WAREHOUSE_GCP_CREDENTIALS_BLOCK": "backbeat-gcp",
    "BACKBEAT_WAREHOUSE_BIGQUERY_ENDPOINT": "http://127.0.0.1:9050",
    "BACKBEAT_WAREHOUSE_BIGQUERY_WRITE_ENDPOINT": "127.0.0.1:9060",
    "BACKBEAT_WAREHOUSE_RAW_DATASET": "bb_raw",
    "BACKBEAT_WAREHOUSE_VAULT_DATASET": "bb_vault",
    "BACKBEAT_WAREHOUSE_MARTS_DATASET": "bb_marts",
    "BACKBEAT_WAREHOUSE_BUILD_EVERY_SECONDS": "20",
    "BACKBEAT_WAREHOUSE_BUILD_OVERLAP_MINUTES": "30",
    "BACKBEAT_WAREHOUSE_BUILD_MAX_WINDOW_MINUTES": "10",
    "BACKBEAT_WAREHOUSE_BUILD_PERIODIC_REFRESH_MINUTES": "30",
    "BACKBEAT_WAREHOUSE_ROYALTY_POOL_PER_MONTH": "2500.5",
    "BACKBEAT_WAREHOUSE_OFFER_CONVERSION_DAYS": "14",
    "BACKBEAT_EVENTS_EARLIEST": "2010-06-01",
    "BACKBEAT_EVENTS_MAX_AHEAD_MINUTES": "5",
    "BACKBEAT_LOADER_BATCH_MAX_ROWS": "5000",
    "BACKBEAT_LOADER_BATCH_MAX_SECONDS": "0.25",
    "BACKBEAT_LOADER_WORKERS": "2",
    "BACKBEAT_LOADER_RECOVERY_DIR": "/data/recovery",
    "BACKBEAT_LOADER_SNAPSHOT_SECONDS": "2",
    "BACKBEAT_LOADER_METRICS_PORT": "9999",
    "BACKBEAT_LOADER_GROUP_ID": "loader-eu",
    "BACKBEAT_SESSIONS_GAP_MINUTES": "20",
    "BACKBEAT_SESSIONS_ALLOWED_LATENESS_MINUTES": "2.5",
    "BACKBEAT_SESSIONS_RULES_FILE": "/etc/backbeat/rules.yaml",
    "BACKBEAT_SESSIONS_HOLDOUT_SHARE": "0.05",
    "BACKBEAT_SESSIONS_HOLDOUT_TAGS": '["control", "holdout"]',
    "BACKBEAT_SESSIONS_RECOMMENDATIONS_JUDGED_SHARE": "0.25",
    "BACKBEAT_SESSIONS_RECOMMENDATIONS_WINDOW": "8",
    "BACKBEAT_SESSIONS_NEIGHBOURS_KEPT": "100",
    "BACKBEAT_SESSIONS_DECAY_HALF_LIFE_DAYS": "7",
    "BACKBEAT_SESSIONS_USER_TTL_HOURS": "72",
    "BACKBEAT_SESSIONS_RECOVERY_DIR": "/data/recovery-sessions",
    "BACKBEAT_SESSIONS_SNAPSHOT_SECONDS": "3",
    "BACKBEAT_SESSIONS_WORKERS": "2",
    "BACKBEAT_SESSIONS_METRICS_PORT": "9998",
    "BACKBEAT_API_KEYS": '["k1", "sha256:' + "a" * 64 + '"]',
    "BACKBEAT_API_HOST": "0.0.0.0",
    "BACKBEAT_API_PORT": "8080",
    "BACKBEAT_API_WORKERS": "4",
    "BACKBEAT_API_MAX_BODY_BYTES": "4096",
    "BACKBEAT_API_REDIS_TIMEOUT_MS": "100",
    "BACKBEAT_API_REDIS_CONNECTIONS": "32",
    "BACKBEAT_RESPONSES_API_URL": "http://offers.internal:8080",
    "BACKBEAT_RESPONSES_API_KEY": "simulated-app",
    "BACKBEAT_RESPONSES_ACCEPT": '{"premium_trial": 0.9}',
    "BACKBEAT_RESPONSES_RETENTION_DAYS": "10",
    "BACKBEAT_RESPONSES_LOOKUP_INTERVAL_S": "60",
    "BACKBEAT_RESPONSES_SEED": "42",
    "BACKBEAT_RESPONSES_TIMEOUT_MS": "200",
    "BACKBEAT_QUALITY_RAW_FRESHNESS_MINUTES": "15",
    "BACKBEAT_QUALITY_RESULTS_DATASET": "bb_quality",
    "BACKBEAT_DASHBOARD_HOST": "0.0.0.0",
    "BACKBEAT_DASHBOARD_PORT": "8080",
    "BACKBEAT_DASHBOARD_REFRESH_SECONDS": "2.5",
}


def test_every_setting_has_a_test_value() -> None:
    assert sorted(env_names()) == sorted(TEST_VALUES)


def test_every_setting_has_a_description() -> None:
    from backbeat.settings.reference import setting_groups

    for group in setting_groups().values():
        for name, field in group.model_fields.items():
            assert field.description, f"{group.__name__}.{name} has no description"


@pytest.mark.parametrize("env", sorted(TEST_VALUES))
def test_each_setting_is_read_from_its_environment_variable(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = {row.env: row.value for row in settings_table(Settings())}[env]
    monkeypatch.setenv(env, TEST_VALUES[env])
    value = {row.env: row.value for row in settings_table(Settings())}[env]
    assert value != default


def test_dotenv_file_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("BACKBEAT_KAFKA_TOPIC_PARTITIONS=7\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().kafka.topic_partitions == 7


def test_prefect_api_url_is_also_read_from_prefects_own_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BACKBEAT_PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4999/api")
    assert Settings().prefect.api_url.port == 4999


def test_defaults_point_at_the_local_stack() -> None:
    settings = Settings()
    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert settings.redis.url.host == "127.0.0.1"
    assert str(settings.prefect.api_url) == "http://127.0.0.1:4200/api"


def test_client_config_merges_extra_librdkafka_properties() -> None:
    kafka = KafkaSettings.model_validate(
        {
            "bootstrap_servers": "pkc-1.example.cloud:9092",
            "client_properties": {"security.protocol": "SASL_SSL", "sasl.password": "s3cret"},
        }
    )
    config = kafka.client_config(**{"group.id": "loader"})
    assert config == {
        "bootstrap.servers": "pkc-1.example.cloud:9092",
        "security.protocol": "SASL_SSL",
        "sasl.password": "s3cret",
        "group.id": "loader",
    }


def test_secrets_never_appear_in_repr_or_the_settings_table() -> None:
    settings = Settings.model_validate(
        {
            "kafka": KafkaSettings.model_validate(
                {"client_properties": {"sasl.password": "s3cret"}}
            ),
            "redis": RedisSettings.model_validate({"password": "hunter2"}),
        }
    )
    shown = repr(settings) + str([row.value for row in settings_table(settings)])
    assert "s3cret" not in shown and "hunter2" not in shown


@pytest.mark.parametrize(
    ("group", "values", "message"),
    [
        (KafkaSettings, {"bootstrap_servers": "localhost"}, "host:port"),
        (KafkaSettings, {"topic_partitions": 0}, "greater than or equal to 1"),
        (RedisSettings, {"url": "redis://:pw@127.0.0.1:6379/0"}, "BACKBEAT_REDIS_PASSWORD"),
        (ResponsesSettings, {"accept": {"premium_trial": 1.5}}, "'premium_trial' must be in"),
        # Forward-decay weights 2^(days since 2024 / half-life) overflowed with 1 day in 2026.
        (SessionsSettings, {"decay_half_life_days": 1}, "greater than or equal to 7"),
        (WarehouseSettings, {"build_memory_limit": "lots"}, "should match pattern"),
    ],
)
def test_bad_values_are_rejected_with_a_reason(
    group: type, values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        group.model_validate(values)


def test_temporary_settings_replace_and_restore() -> None:
    before = get_settings().kafka.topic_partitions
    with temporary_settings(kafka={"topic_partitions": before + 5}) as settings:
        assert get_settings() is settings
        assert get_settings().kafka.topic_partitions == before + 5
    assert get_settings().kafka.topic_partitions == before


def test_every_setting_can_be_overridden_by_name() -> None:
    from backbeat.settings import with_overrides
    from backbeat.settings.reference import setting_groups

    base = Settings()
    for env, raw in TEST_VALUES.items():
        group_name, group = next(
            (name, g) for name, g in setting_groups().items() if env.startswith(g.env_name(""))
        )
        field = env.removeprefix(group.env_name("")).lower()
        value = json.loads(raw) if raw.startswith(("{", "[")) else raw
        changed = with_overrides(base, **{group_name: {field: value}})
        shown = {row.env: row.value for row in settings_table(changed)}[env]
        assert shown != {row.env: row.value for row in settings_table(base)}[env], env


def test_temporary_settings_reject_unknown_names() -> None:
    with (
        pytest.raises(ValueError, match="unknown kafka settings"),
        temporary_settings(kafka={"bootstrap": "x:1"}),
    ):
        pass
    with (
        pytest.raises(ValueError, match="unknown settings group"),
        temporary_settings(kafak={"bootstrap_servers": "x:1"}),
    ):
        pass


def test_configuration_reference_is_up_to_date() -> None:
    committed = (REPO / "docs" / "configuration.md").read_text()
    assert committed == settings_reference(), "run: backbeat config docs -o docs/configuration.md"


@pytest.mark.parametrize(
    ("env", "value", "secret", "says"),
    [
        (
            "BACKBEAT_API_KEYS",
            '["plain-key-one", "sha256:not-hex"]',
            "plain-key-one",
            "BACKBEAT_API_KEYS: Value error, a hashed API key is `sha256:` and 64 hex digits",
        ),
        (
            "BACKBEAT_REDIS_URL",
            "redis://:hunter2@cache.internal:6379/0",
            "hunter2",
            "BACKBEAT_REDIS_URL: Value error, put the Redis password in BACKBEAT_REDIS_PASSWORD",
        ),
        (
            "BACKBEAT_REDIS_URL",
            "http://:hunter2@cache.internal:6379/0",
            "hunter2",
            "BACKBEAT_REDIS_URL: URL scheme should be 'redis' or 'rediss'",
        ),
    ],
)
def test_a_rejected_setting_is_named_but_its_value_never_shown(
    env: str, value: str, secret: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backbeat.settings.context import SettingsError, _from_environment

    monkeypatch.setenv(env, value)
    _from_environment.cache_clear()
    try:
        with pytest.raises(SettingsError) as error:
            get_settings()
    finally:
        _from_environment.cache_clear()
    assert says in str(error.value)
    assert secret not in str(error.value) and secret not in repr(error.value)
