"""The real test data travels with the repository, unchanged, and nothing reads outside it.

Each data folder's README lists every file with its size and SHA-256; a file that differs (an
editor's newline, git's line-end conversion) or that no row names fails here, before a
conformance test fails for a reason nobody can see.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent
ROOT = DATA.parents[1]
FOLDERS = ("eventsim_real", "listening_real")
# | `path` | source | 1,234 | `sha256` | licence |
ROW = re.compile(
    r"^\| `(?P<path>[^`]+)` \|[^|]+\| (?P<size>[\d,]+) \| `(?P<sha256>[0-9a-f]{64})` \|"
)
# Text the project itself maintains; data files and lock files are not read for references.
MAINTAINED = {".py", ".md", ".toml", ".yaml", ".yml", ".sh", ".cfg", ".ini", ".txt", ""}
SKIPPED_DIRS = {".git", ".venv", "node_modules", "results", "data", "__pycache__"}


def _listed(folder: Path) -> dict[str, tuple[int, str]]:
    rows = {}
    for line in (folder / "README.md").read_text().splitlines():
        if match := ROW.match(line):
            size = int(match["size"].replace(",", ""))
            rows[match["path"]] = (size, match["sha256"])
    return rows


@pytest.mark.parametrize("name", FOLDERS)
def test_every_file_matches_its_readme_row(name: str) -> None:
    folder = DATA / name
    listed = _listed(folder)
    present = {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and path.name != "README.md"
    }
    assert present, f"{folder} holds no data"
    assert present == set(listed), (
        f"not in {name}/README.md: {sorted(present - set(listed))}; "
        f"listed but missing: {sorted(set(listed) - present)}"
    )
    for relative, (size, sha256) in listed.items():
        data = (folder / relative).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, sha256), relative


def _maintained_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts[:-1])
        if path.is_file() and path.suffix in MAINTAINED and not parts & SKIPPED_DIRS:
            found.append(path)
    return found


def test_nothing_reads_a_folder_beside_the_repository() -> None:
    """A user's clone has nothing beside it: no path may climb out of the repository."""
    outside = re.compile(r"\.\./" + "shared" + r"\b|parents\[2\] / \"shared\"")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _maintained_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if outside.search(line)
    ]
    assert not offenders, offenders
