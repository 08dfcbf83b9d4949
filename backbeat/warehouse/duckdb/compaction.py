"""Merging the loader's small raw Parquet files, without losing, doubling or hiding a row.

The loader writes a file per micro-batch per (topic, partition, event date): thousands a day.
Compaction rewrites one event-date folder at a time so that each (topic, partition) has one
file, named for the offsets it holds (`<topic>-p<P>-<first>-<last>.parquet`), so the loader's
high-water marks are unchanged.

How readers and the loader are kept safe:
- The new folder is built beside the live one and the two are swapped with one
  `renameat2(RENAME_EXCHANGE)`: a reader listing the folder sees all old files or all new ones.
- The loader takes a shared lock (`<folder>.lock`) while it renames a file into a folder;
  compaction holds the exclusive lock from listing the files to the swap, so no file can
  land in the old folder after it was read.
- The old files are not deleted at once but moved to `.compaction/trash/` and removed by the
  next run after a grace period, so a query that listed them just before the swap still
  finds them.
- Row counts of the merged files are checked against the originals before the swap.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import time
import uuid
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb

from backbeat.warehouse.backend import CompactionReport
from backbeat.warehouse.duckdb.folder_lock import folder_lock
from backbeat.warehouse.duckdb.publishing import PARQUET, fsync_path
from backbeat.warehouse.duckdb.raw_files import FILE_NAME
from backbeat.warehouse.duckdb.types import sql_string

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(first: Path, second: Path) -> None:
    """Swap two paths atomically (Linux renameat2 with RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    result = libc.renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"renameat2(RENAME_EXCHANGE) failed: {os.strerror(errno)}")


def swap_folder(folder: Path, staged: Path, work: Path) -> None:
    """Put the fully written `staged` folder in `folder`'s place in one atomic exchange and
    keep the old files in `work/trash` (a query that listed them may still be reading)."""
    for path in staged.iterdir():
        fsync_path(path)
    exchange(folder, staged)
    trash = work / "trash"
    trash.mkdir(parents=True, exist_ok=True)
    staged.rename(trash / f"{folder.parent.name}-{folder.name}-{uuid.uuid4().hex[:8]}")
    shutil.rmtree(staged.parent, ignore_errors=True)


def empty_trash(work: Path, grace_s: float) -> None:
    """Delete what compaction replaced more than `grace_s` ago."""
    trash = work / "trash"
    if not trash.exists():
        return
    for old in trash.iterdir():
        if time.time() - old.stat().st_mtime > grace_s:
            shutil.rmtree(old, ignore_errors=True)


class RawCompactor:
    """Compacts the raw folders of event dates older than `min_age_days` under `warehouse_dir`."""

    def __init__(self, warehouse_dir: Path, min_age_days: int = 2, grace_s: float = 3600) -> None:
        self.raw = warehouse_dir / "raw"
        self.work = warehouse_dir / ".compaction"
        self.min_age_days = min_age_days
        self.grace_s = grace_s

    def run(self, today: date | None = None) -> CompactionReport:
        report = CompactionReport()
        self._empty_trash()
        newest = (today or date.today()) - timedelta(days=self.min_age_days)
        for folder in sorted(self.raw.glob("*/event_date=*")):
            if not folder.is_dir():
                continue
            day = date.fromisoformat(folder.name.removeprefix("event_date="))
            if day > newest:
                continue
            self._compact(folder, report)
        return report

    def _empty_trash(self) -> None:
        empty_trash(self.work, self.grace_s)

    def _compact(self, folder: Path, report: CompactionReport) -> None:
        with folder_lock(folder, exclusive=True):
            groups: dict[tuple[str, int], list[tuple[int, int, Path]]] = defaultdict(list)
            for path in folder.glob("*.parquet"):
                match = FILE_NAME.match(path.name)
                if match is None:
                    report.skipped.append(str(path))
                    continue
                groups[(match["topic"], int(match["partition"]))].append(
                    (int(match["first"]), int(match["last"]), path)
                )
            if all(len(files) < 2 for files in groups.values()):
                return
            staged = self.work / "staging" / uuid.uuid4().hex / folder.name
            staged.mkdir(parents=True)
            connection = duckdb.connect()
            try:
                before = after = 0
                for (topic, partition), files in sorted(groups.items()):
                    files.sort()
                    paths = [str(p) for _, _, p in files]
                    (count,) = connection.execute(
                        "SELECT COUNT(*) FROM read_parquet($files)", {"files": paths}
                    ).fetchone() or (0,)
                    before += int(count)
                    name = f"{topic}-p{partition}-{files[0][0]:012d}-{files[-1][1]:012d}.parquet"
                    # Files listed in offset order; DuckDB keeps their rows in that order.
                    (written,) = connection.execute(
                        f"COPY (SELECT * FROM read_parquet($files)) TO {sql_string(staged / name)} "
                        f"({PARQUET})",
                        {"files": paths},
                    ).fetchone() or (0,)
                    after += int(written)
            finally:
                connection.close()
            if before != after:
                shutil.rmtree(staged.parent)
                raise RuntimeError(
                    f"compacting {folder}: {before} rows in, {after} out; left as is"
                )
            swap_folder(folder, staged, self.work)
            report.folders += 1
            report.files_before += sum(len(files) for files in groups.values())
            report.files_after += len(groups)
            report.rows += after
