"""The configuration reference, generated from the settings model (never written by hand)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from backbeat.settings.base import SettingsGroup
from backbeat.settings.root import Settings

_HEADER = """\
# Configuration reference

Generated from `backbeat/settings/` by `backbeat config docs -o docs/configuration.md`;
a test fails when this file and the model disagree. Every setting is an environment variable
(or a line in `.env` in the working directory). Values that hold secrets are never printed.

"""


@dataclass(frozen=True)
class SettingRow:
    env: str
    value: str


def setting_groups() -> dict[str, type[SettingsGroup]]:
    """Each settings group by its name in the root object."""
    groups = {}
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        assert isinstance(annotation, type) and issubclass(annotation, SettingsGroup)
        groups[name] = annotation
    return groups


def env_names() -> list[str]:
    """Every environment variable Backbeat reads."""
    return [
        group.env_name(field) for group in setting_groups().values() for field in group.model_fields
    ]


def _shown(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "**********" if value.get_secret_value() else ""
    if isinstance(value, dict):
        return json.dumps({key: _shown(item) for key, item in value.items()})
    return "" if value is None else str(value)


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return _shown(field.default_factory())  # type: ignore[call-arg]
    return _shown(field.default)


def settings_table(settings: Settings) -> list[SettingRow]:
    """Every setting in force, secrets masked."""
    rows = []
    for name, group in setting_groups().items():
        model = getattr(settings, name)
        for field in group.model_fields:
            rows.append(SettingRow(group.env_name(field), _shown(getattr(model, field))))
    return rows


def settings_reference() -> str:
    """Markdown: one table per group, one row per setting, with default and description."""
    parts = [_HEADER]
    for name, group in setting_groups().items():
        parts.append(f"## {name}\n\n{(group.__doc__ or '').strip()}\n\n")
        parts.append("| variable | default | description |\n|---|---|---|\n")
        for field_name, field in group.model_fields.items():
            default = _default(field).replace(str(Path.home()), "~")
            description = (field.description or "").replace("|", "\\|")
            parts.append(f"| `{group.env_name(field_name)}` | `{default}` | {description} |\n")
        parts.append("\n")
    return "".join(parts).rstrip("\n") + "\n"
