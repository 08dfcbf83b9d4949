"""The hand-written references stay true to the code: docs/data-model.md names every
warehouse table with its key, docs/cli.md every command."""

from __future__ import annotations

import re
from pathlib import Path

from backbeat.quality.contracts import warehouse_tables

PAGE = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"


def test_every_table_is_listed_with_its_key() -> None:
    listed = {
        name: key
        for name, key in re.findall(
            r"^\| `([a-z_]+\.[a-z_]+)` \| .* \| (.*) \|$", PAGE.read_text(), re.M
        )
    }
    for name, table in warehouse_tables().items():
        assert name in listed, f"{name} is missing from docs/data-model.md"
        expected = ", ".join(f"`{k}`" for k in table.key) or "—"
        assert listed[name] == expected, name


def test_every_command_is_in_the_cli_reference() -> None:
    import typer.main

    from backbeat.cli.app import app

    page = (PAGE.parent / "cli.md").read_text()
    for name in typer.main.get_command(app).commands:  # type: ignore[attr-defined]
        assert f"`backbeat {name}" in page, f"backbeat {name} is missing from docs/cli.md"
