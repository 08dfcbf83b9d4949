"""The lock beside each raw event-date folder: the loader holds it shared while it renames a
file in, compaction holds it exclusively while it rewrites the folder (compaction.py)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def folder_lock_path(folder: Path) -> Path:
    """`<folder>.lock`, outside the folder, so the folder itself can be swapped."""
    return folder.with_name(folder.name + ".lock")


@contextmanager
def folder_lock(folder: Path, exclusive: bool) -> Iterator[None]:
    with folder_lock_path(folder).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
