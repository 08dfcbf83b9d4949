"""Merging the loader's small raw Parquet files, without losing, doubling or hiding a row.

The loader writes a file per micro-batch per (topic, partition, event date): at 5,000 events/s
about 30 a second, and every query opens every file's footer, so the files must be merged while
the day is still being written, not only once it is old. Files of one (topic, partition) in a
folder are merged in size tiers, as an LSM tree does: `TIER_FANOUT` consecutive files (by
offset) of one tier become one file of the next, so a byte is rewritten about once per tier
(log-many times), and a folder holds at most `TIER_FANOUT - 1` files per tier per partition.
Folders of event dates at least `min_age_days` old (the day is over; what still arrives is
stragglers) have all their files below the last tier merged into one. A merged file is named
for the offsets it holds (`<topic>-p<P>-<first>-<last>.parquet`), so the loader's high-water
marks are unchanged, and keeps the newest modification time of what it replaced.

How readers and the loader are kept safe:
- The merge itself reads and writes without any lock: published files never change.
- Then, under the folder's exclusive lock (`<folder>.lock`, which the loader takes shared to
  rename a file in), a new folder is made of hard links to every file present except the
  merged ones, plus the merged files, and swapped with the live one in one
  `renameat2(RENAME_EXCHANGE)`: a reader listing the folder sees all old files or all new ones,
  and the loader waits milliseconds, not the length of a merge.
- The old folder is moved to `.compaction/trash/` and removed by a later run after a grace
  period, so a query that listed it just before the swap still finds its files.
- Row counts of the merged files are checked against the originals before the swap.
- One compaction at a time per warehouse (`.compaction/run.lock`); a second one finds the
  lock taken and returns at once, so the build loop never waits for the hourly flow. What a
  killed compaction left in `.compaction/staging/` is deleted by the next.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import math
import os
import shutil
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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

#: Files of one tier merged at once (and the most a tier keeps before merging).
TIER_FANOUT = 8
#: A file smaller than this is in tier 0; tier k holds files below BASE * FANOUT**k.
TIER_BASE_BYTES = 256 * 1024
#: Files of this tier (about 1 GB and more with the defaults) are not merged further.
LAST_TIER = 5


def exchange(first: Path, second: Path) -> None:
    """Swap two paths atomically (Linux renameat2 with RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    result = libc.renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"renameat2(RENAME_EXCHANGE) failed: {os.strerror(errno)}")


def swap_folder(
    folder: Path, staged: Path, work: Path, written: Iterable[Path] | None = None
) -> None:
    """Put the fully written `staged` folder in `folder`'s place in one atomic exchange and
    keep the old files in `work/trash` (a query that listed them may still be reading).
    `written`: the files of `staged` not yet durable (default: all of them)."""
    for path in staged.iterdir() if written is None else written:
        fsync_path(path)
    fsync_path(staged)
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


def tier(size_bytes: int, base: int = TIER_BASE_BYTES, fanout: int = TIER_FANOUT) -> int:
    """The size tier of a file: 0 below `base`, k below base * fanout**k, at most LAST_TIER."""
    if size_bytes < base:
        return 0
    return min(LAST_TIER, int(math.log(size_bytes / base, fanout)) + 1)


@dataclass(frozen=True)
class RawFile:
    """One raw file of a folder, as its name and size describe it."""

    topic: str
    partition: int
    first: int
    last: int
    size: int
    path: Path


def plan_merges(
    files: list[RawFile], whole: bool, fanout: int = TIER_FANOUT, base: int = TIER_BASE_BYTES
) -> list[list[RawFile]]:
    """Which files of one (topic, partition) to merge, each list into one file.

    Tiered (`whole` false): every `fanout` consecutive files (by offset) of one tier below the
    last. Whole (an old day): all files below the last tier, if there are two or more.
    """
    ordered = sorted(files, key=lambda f: (f.first, f.last))
    if whole:
        small = [f for f in ordered if tier(f.size, base, fanout) < LAST_TIER]
        return [small] if len(small) >= 2 else []
    merges: list[list[RawFile]] = []
    run: list[RawFile] = []
    for file in ordered:
        level = tier(file.size, base, fanout)
        if run and tier(run[0].size, base, fanout) != level:
            run = []
        if level < LAST_TIER:
            run.append(file)
        if len(run) == fanout:
            merges.append(run)
            run = []
    return merges


class RawCompactor:
    """Compacts the raw folders under `warehouse_dir`: tiered merges in every folder, and
    whole-day merges in folders of event dates at least `min_age_days` old."""

    def __init__(
        self,
        warehouse_dir: Path,
        min_age_days: int = 2,
        grace_s: float = 3600,
        fanout: int = TIER_FANOUT,
        base_bytes: int = TIER_BASE_BYTES,
    ) -> None:
        if fanout < 2:
            raise ValueError(f"fanout must be at least 2, got {fanout!r}")
        self.raw = warehouse_dir / "raw"
        self.work = warehouse_dir / ".compaction"
        self.min_age_days = min_age_days
        self.grace_s = grace_s
        self.fanout = fanout
        self.base_bytes = base_bytes

    def run(self, today: date | None = None) -> CompactionReport:
        report = CompactionReport()
        with self._one_at_a_time() as alone:
            if not alone:
                report.skipped.append("another compaction of this warehouse is running")
                return report
            self._empty_trash()
            self._remove_abandoned()
            newest_old = (today or date.today()) - timedelta(days=self.min_age_days)
            for folder in sorted(self.raw.glob("*/event_date=*")):
                if not folder.is_dir():
                    continue
                day = date.fromisoformat(folder.name.removeprefix("event_date="))
                self._compact(folder, whole=day <= newest_old, report=report)
        return report

    @contextmanager
    def _one_at_a_time(self) -> Iterator[bool]:
        self.work.mkdir(parents=True, exist_ok=True)
        with (self.work / "run.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _empty_trash(self) -> None:
        empty_trash(self.work, self.grace_s)

    def _remove_abandoned(self) -> None:
        """Delete what a compaction killed mid-merge left in staging: with the run lock held,
        no other compaction is writing there."""
        staging = self.work / "staging"
        if staging.exists():
            for left in staging.iterdir():
                shutil.rmtree(left, ignore_errors=True)

    def _plan(self, folder: Path, whole: bool, report: CompactionReport) -> list[list[RawFile]]:
        groups: dict[tuple[str, int], list[RawFile]] = defaultdict(list)
        for path in folder.glob("*.parquet"):
            match = FILE_NAME.match(path.name)
            if match is None:
                report.skipped.append(str(path))
                continue
            try:
                size = path.stat().st_size
            except FileNotFoundError:  # swapped away by a compaction that just ended
                continue
            file = RawFile(
                match["topic"],
                int(match["partition"]),
                int(match["first"]),
                int(match["last"]),
                size,
                path,
            )
            groups[(file.topic, file.partition)].append(file)
        return [
            merge
            for _, files in sorted(groups.items())
            for merge in plan_merges(files, whole, self.fanout, self.base_bytes)
        ]

    def _compact(self, folder: Path, whole: bool, report: CompactionReport) -> None:
        merges = self._plan(folder, whole, report)
        if not merges:
            return
        work = self.work / "staging" / uuid.uuid4().hex
        merged_dir = work / "merged"
        merged_dir.mkdir(parents=True)
        try:
            merged = self._merge(merges, folder, merged_dir)
            with folder_lock(folder, exclusive=True):
                self._swap_in(folder, merges, merged, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        report.folders += 1
        report.files_before += sum(len(files) for files in merges)
        report.files_after += len(merges)
        report.rows += sum(rows for _, rows in merged)

    def _merge(
        self, merges: list[list[RawFile]], folder: Path, out: Path
    ) -> list[tuple[Path, int]]:
        """Each list of files written as one file in `out`: (path, rows)."""
        connection = duckdb.connect()
        written = []
        try:
            for files in merges:
                paths = [str(f.path) for f in files]
                (before,) = connection.execute(
                    "SELECT COUNT(*) FROM read_parquet($files)", {"files": paths}
                ).fetchone() or (0,)
                first, last = min(f.first for f in files), max(f.last for f in files)
                name = f"{files[0].topic}-p{files[0].partition}-{first:012d}-{last:012d}.parquet"
                target = out / name
                # Files listed in offset order; DuckDB keeps their rows in that order.
                (after,) = connection.execute(
                    f"COPY (SELECT * FROM read_parquet($files)) TO {sql_string(target)} "
                    f"({PARQUET})",
                    {"files": paths},
                ).fetchone() or (0,)
                if before != after:
                    raise RuntimeError(
                        f"compacting {folder}: {before} rows in, {after} out; left as is"
                    )
                newest = max(f.path.stat().st_mtime for f in files)
                os.utime(target, (newest, newest))
                written.append((target, int(after)))
        finally:
            connection.close()
        return written

    def _swap_in(
        self,
        folder: Path,
        merges: list[list[RawFile]],
        merged: list[tuple[Path, int]],
        work: Path,
    ) -> None:
        """The live folder, less the merged files, plus what replaces them: swapped in."""
        replaced = {f.path.name for files in merges for f in files}
        present = {path.name for path in folder.iterdir()}
        missing = replaced - present
        if missing:  # only a compaction removes files, and only one runs at a time
            raise RuntimeError(f"compacting {folder}: {sorted(missing)} vanished; left as is")
        staged = work / folder.name
        staged.mkdir()
        for name in sorted(present - replaced):
            os.link(folder / name, staged / name)
        fresh = []
        for path, _ in merged:
            path.rename(staged / path.name)
            fresh.append(staged / path.name)
        swap_folder(folder, staged, self.work, written=fresh)
