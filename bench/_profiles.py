"""py-spy profiles summarised the same way for every profiling bench (loader_profile.py,
api_profile.py): each function's share of the samples itself, and the share under
Backbeat's own functions."""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

OURS = ("backbeat/", "dataflows/", "offers/")


class Profile(TypedDict):
    samples: int
    self_percent: list[tuple[float, str]]
    inclusive_percent: list[tuple[float, str]]


def py_spy() -> str:
    """The py-spy of this environment (a dev dependency: it samples from outside the process,
    so a profile costs the profiled process nothing)."""
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is missing: `uv sync` installs it with the dev dependencies")
    return found


def summarise(raw: Path, top: int, keep: Callable[[list[str]], bool]) -> Profile:
    """py-spy's raw output (a stack and its sample count per line) as shares of the samples
    whose stack `keep` accepts: by function itself, and under Backbeat's functions."""
    itself: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        frames = stack_text.split(";")
        if not keep(frames):
            continue
        samples = int(count)
        total += samples
        itself[frames[-1]] += samples
        for frame in set(frames):
            if any(part in frame for part in OURS):
                under[frame] += samples

    def shares(counter: Counter[str]) -> list[tuple[float, str]]:
        return [(round(100 * n / total, 1), name) for name, n in counter.most_common(top)]

    return {"samples": total, "self_percent": shares(itself), "inclusive_percent": shares(under)}


def print_profile(profile: Profile, what: str) -> None:
    print(f"{profile['samples']:,} samples in {what}; by function itself:")
    for share, name in profile["self_percent"]:
        print(f"  {share:5.1f}%  {name}")
    print("under Backbeat's functions:")
    for share, name in profile["inclusive_percent"]:
        print(f"  {share:5.1f}%  {name}")
