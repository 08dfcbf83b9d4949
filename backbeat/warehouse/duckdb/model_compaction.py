"""Merging the small files that frequent builds leave in model folders.

An incremental model gains one file per build that added rows: with a build every 15 s that
is thousands of files a day per model, and every query opens them all. Once a folder holds
`MERGE_AT` files smaller than `SMALL_BYTES`, those are merged into one; a merged file that is
still small joins a later merge, until it outgrows `SMALL_BYTES` and is left alone. So a row
is rewritten a few times at most, and a build's compaction work is bounded by
`MERGE_AT * SMALL_BYTES`, not by the model's history.

Readers are kept safe as in raw compaction (compaction.py): the new folder (hard links to the
files kept, plus the merged file) is swapped in with one atomic exchange, and the old files
wait in the trash for a grace period. Only builds write model folders, and this runs inside
the build lock, so nothing lands in a folder while it is compacted.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from backbeat.warehouse.duckdb.compaction import empty_trash, swap_folder
from backbeat.warehouse.duckdb.publishing import PARQUET
from backbeat.warehouse.duckdb.types import sql_string

MERGE_AT = 32
SMALL_BYTES = 64 << 20
#: Old files stay this long after a merge for queries that listed them before it.
GRACE_S = 600


@dataclass(frozen=True)
class FolderMerge:
    folder: Path
    files_merged: int
    rows: int


def compact_folder(folder: Path, work: Path) -> FolderMerge | None:
    """Merge the small Parquet files of `folder` if there are `MERGE_AT` of them."""
    files = sorted(folder.glob("*.parquet"))
    small = [p for p in files if p.stat().st_size < SMALL_BYTES]
    if len(small) < MERGE_AT:
        return None
    staged = work / "staging" / uuid.uuid4().hex / folder.name
    staged.mkdir(parents=True)
    merged = staged / f"merged-{uuid.uuid4().hex}.parquet"
    listed = "[" + ", ".join(sql_string(p) for p in small) + "]"
    connection = duckdb.connect()
    try:
        (before,) = connection.execute(
            f"SELECT COUNT(*) FROM read_parquet({listed})"
        ).fetchone() or (0,)
        (after,) = connection.execute(
            f"COPY (SELECT * FROM read_parquet({listed}, union_by_name = true)) "
            f"TO {sql_string(merged)} ({PARQUET})"
        ).fetchone() or (0,)
    finally:
        connection.close()
    if before != after:
        raise RuntimeError(f"merging {folder}: {before} rows in, {after} out; left as is")
    for kept in set(files) - set(small):
        os.link(kept, staged / kept.name)
    swap_folder(folder, staged, work)
    return FolderMerge(folder, len(small), int(after))


def compact_folders(folders: list[Path], work: Path) -> list[FolderMerge]:
    """Merge small files in each of `folders` that needs it; clear expired trash first."""
    empty_trash(work, GRACE_S)
    merges = [compact_folder(folder, work) for folder in folders if folder.is_dir()]
    return [merge for merge in merges if merge is not None]
