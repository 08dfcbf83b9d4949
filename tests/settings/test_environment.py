"""A subprocess started with `settings_environment(s)` runs with exactly `s`."""

from __future__ import annotations

import pytest

from backbeat.settings import Settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.settings.reference import env_names
from tests.settings.test_settings import TEST_VALUES


def _read_back(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in env_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_every_setting_survives_the_trip_through_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in TEST_VALUES.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.redis.key_prefix == "bb:test:"  # the test values did arrive
    assert _read_back(settings_environment(settings), monkeypatch) == settings


def test_an_override_reaches_the_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    """The setting a test changed in-process (the online-equals-offline test's judged share
    was once dropped here, and the dataflow judged 2% of plays regardless)."""
    settings = with_overrides(
        Settings(), sessions={"recommendations_judged_share": 0.0, "workers": 2}
    )
    read = _read_back(settings_environment(settings), monkeypatch)
    assert read.sessions.recommendations_judged_share == 0.0
    assert read.sessions == settings.sessions
    assert read == settings


def test_secrets_are_passed_revealed_not_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = with_overrides(Settings(), redis={"password": "hunter2"}, api={"keys": ["k1"]})
    environment = settings_environment(settings)
    assert environment["BACKBEAT_REDIS_PASSWORD"] == "hunter2"
    assert environment["BACKBEAT_API_KEYS"] == '["k1"]'
    assert _read_back(environment, monkeypatch) == settings
