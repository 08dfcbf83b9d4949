"""Making a written file durable and visible: fsync it, rename it into place, fsync the folder.

Every file of the embedded warehouse (raw, vault, marts, build records, compacted raw) is
first written elsewhere and appears only by rename, so no reader sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush a file's (or a folder's) contents to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def publish_file(staging: Path, target: Path) -> None:
    """Move a fully written file to `target` atomically, durably."""
    fsync_path(staging)
    staging.rename(target)
    fsync_path(target.parent)


#: How every Parquet file of the embedded warehouse is written. zstd at level 1, not
#: DuckDB's default 3: on the bench's 10M-event tables it wrote 15-20% faster and the files
#: came out 2-4% smaller (hash keys and timestamps gain nothing from harder zstd).
PARQUET = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1"
