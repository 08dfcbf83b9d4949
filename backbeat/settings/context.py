"""The current settings, and a context manager to replace them for a while."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from pydantic import ValidationError

from backbeat.settings.base import SettingsGroup
from backbeat.settings.root import Settings

_override: ContextVar[Settings | None] = ContextVar("backbeat_settings_override", default=None)


class SettingsError(ValueError):
    """The environment (or `.env`) sets a value Backbeat cannot use; the message names each
    variable and the rule it breaks, never the value (it may be a secret)."""


@cache
def _from_environment() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_readable(exc)) from None


def _readable(error: ValidationError) -> str:
    groups = {group.__name__: group for group in _groups()}
    group = groups.get(error.title)
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        name = group.env_name(field) if group is not None and field else error.title
        problems.append(f"{name}: {item['msg']}")
    return "invalid setting " + "; ".join(problems)


def _groups() -> list[type[SettingsGroup]]:
    return [
        field.annotation
        for field in Settings.model_fields.values()
        if isinstance(field.annotation, type) and issubclass(field.annotation, SettingsGroup)
    ]


def get_settings() -> Settings:
    """The settings in force: an active `temporary_settings`, else env and `.env` (read once)."""
    return _override.get() or _from_environment()


def with_overrides(base: Settings, **groups: Mapping[str, Any]) -> Settings:
    """A copy of `base` with some fields of some groups replaced, validated like env values.

    Unknown groups or fields raise instead of being ignored.
    """
    replaced: dict[str, Any] = {}
    for group, values in groups.items():
        if group not in Settings.model_fields:
            raise ValueError(
                f"unknown settings group {group!r}; expected one of {list(Settings.model_fields)}"
            )
        model = getattr(base, group)
        unknown = set(values) - set(type(model).model_fields)
        if unknown:
            raise ValueError(f"unknown {group} settings {sorted(unknown)}")
        replaced[group] = type(model).model_validate(model.model_dump() | dict(values))
    return base.model_copy(update=replaced)


@contextmanager
def temporary_settings(**groups: Mapping[str, Any]) -> Iterator[Settings]:
    """Run a block with some settings replaced, e.g. `temporary_settings(redis={"url": ...})`."""
    settings = with_overrides(get_settings(), **groups)
    token = _override.set(settings)
    try:
        yield settings
    finally:
        _override.reset(token)
