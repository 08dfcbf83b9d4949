"""Where things live: the warehouse backend is chosen once, every backend folder is a
complete backend, and no import runs in a circle (which is how a layering breaks first)."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

from backbeat.settings import get_settings, with_overrides
from backbeat.settings.warehouse import WarehouseSettings
from backbeat.warehouse import open_backend
from backbeat.warehouse.backend import WarehouseBackend

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("backbeat", "dataflows", "flows", "offers")
WAREHOUSE = ROOT / "backbeat" / "warehouse"


def _sources() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        found |= {t for t in targets if t in known and t != name}
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    modules = _sources()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert sum(len(targets) for targets in graph.values()) > 300  # the parser sees imports
    assert _cycles(graph) == []


def _names_backend(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "backend") or (
        isinstance(node, ast.Name) and node.id == "backend"
    )


def test_no_code_asks_which_backend_it_runs_on() -> None:
    """No `backend == ...` (or `!=`, `in`): behaviour differs by backend only inside the
    backend folders, which `open_backend` picks by name."""
    asked = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _sources().values()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Compare)
        and any(map(_names_backend, [node.left, *node.comparators]))
    ]
    assert asked == []


def test_every_backend_setting_is_a_folder_with_a_backend() -> None:
    choices = typing.get_args(WarehouseSettings.model_fields["backend"].annotation)
    folders = {p.parent.name for p in WAREHOUSE.glob("*/backend.py")}
    assert set(choices) == folders == {"duckdb", "bigquery"}


@pytest.mark.parametrize("name", ["duckdb", "bigquery"])
def test_open_backend_gives_the_named_one_with_every_method(name: str, tmp_path: Path) -> None:
    settings = with_overrides(get_settings(), warehouse={"backend": name, "dir": tmp_path})
    backend = open_backend(settings)
    assert backend.name == name
    wanted = {
        member
        for member in vars(WarehouseBackend)
        if not member.startswith("_") and member not in ("name",)
    }
    assert wanted == {
        "location",
        "reader",
        "raw_writer",
        "model_store",
        "quality_target",
        "compact_raw",
    }
    for member in wanted:
        assert callable(getattr(backend, member)), member
