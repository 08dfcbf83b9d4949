from __future__ import annotations

from typing import Any

import pytest
import typer.main

from backbeat.cli.app import app


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        paths.append((*prefix, name))
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            paths.extend(_command_paths(command, (*prefix, name)))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def test_foundation_commands_exist() -> None:
    expected = {
        ("up",),
        ("down",),
        ("status",),
        ("logs",),
        ("prepare",),
        ("config", "show"),
        ("config", "docs"),
    }
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    assert command.help, f"`backbeat {' '.join(path)}` has no help text"
