"""The embedded warehouse's log of finished builds: one JSON record per build, folded into
Parquet as they accumulate.

`builds/<until>-<build_id>.json` is written by each build as it finishes (its window, when it
finished, the rows each model added): a person can read it, and the newest name is the next
build's watermark. With builds every 15 s that is thousands of files a day, so once
`FOLD_AT` records pile up, all but the newest are folded into one Parquet file under
`builds/log/` (whose small files are then merged like any model folder's). `vault.build_log`
reads both, so `marts.pipeline_freshness` can tell when each row reached the marts.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import duckdb

from backbeat.warehouse.duckdb.publishing import PARQUET, publish_file
from backbeat.warehouse.duckdb.types import sql_string

#: Fold the JSON records into Parquet once there are this many.
FOLD_AT = 64
LOG_FOLDER = "log"
_COLUMNS = (
    '{build_id: \'VARCHAR\', "window": \'STRUCT(since VARCHAR, "until" VARCHAR, '
    "load_ts VARCHAR)', finished_at: 'VARCHAR', runs: 'JSON'}"
)


def _records_select(files: str) -> str:
    return (
        'SELECT build_id, CAST("window".since AS TIMESTAMPTZ) AS since, '
        'CAST("window"."until" AS TIMESTAMPTZ) AS "until", '
        'CAST("window".load_ts AS TIMESTAMPTZ) AS load_ts, '
        "CAST(finished_at AS TIMESTAMPTZ) AS finished_at, CAST(runs AS VARCHAR) AS runs "
        f"FROM read_json({files}, columns = {_COLUMNS})"
    )


def build_log_select(folder: Path) -> str:
    """The finished builds under `folder` as one relation (build_id, since, until, load_ts,
    finished_at); empty before the first build. Folding writes the Parquet file before it
    removes the records, so a reader in between may see a build twice: hence DISTINCT."""
    parts = []
    if any(folder.glob("*.json")):
        parts.append(_records_select(sql_string(folder / "*.json")))
    if any((folder / LOG_FOLDER).glob("*.parquet")):
        parts.append(f"SELECT * FROM read_parquet({sql_string(folder / LOG_FOLDER / '*.parquet')})")
    if not parts:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS build_id, CAST(NULL AS TIMESTAMPTZ) AS since, "
            'CAST(NULL AS TIMESTAMPTZ) AS "until", CAST(NULL AS TIMESTAMPTZ) AS load_ts, '
            "CAST(NULL AS TIMESTAMPTZ) AS finished_at WHERE false"
        )
    union = " UNION ALL ".join(parts)
    return f'SELECT DISTINCT build_id, since, "until", load_ts, finished_at FROM ({union})'


def fold_records(folder: Path, staging: Path) -> int:
    """Fold all but the newest JSON record into one Parquet file once there are `FOLD_AT`;
    the number of records folded. Runs inside the build lock: no build writes meanwhile."""
    records = sorted(folder.glob("*.json"))
    if len(records) < FOLD_AT:
        return 0
    folded = records[:-1]  # the newest stays: its name is the watermark
    staging.mkdir(parents=True, exist_ok=True)
    staged = staging / f"{uuid.uuid4().hex}.parquet"
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        files = "[" + ", ".join(sql_string(p) for p in folded) + "]"
        result = connection.execute(
            f"COPY ({_records_select(files)}) TO {sql_string(staged)} ({PARQUET})"
        ).fetchone()
    finally:
        connection.close()
    if result is None or int(result[0]) != len(folded):
        staged.unlink(missing_ok=True)
        raise RuntimeError(f"folding {len(folded)} build records wrote {result}; left as they are")
    (folder / LOG_FOLDER).mkdir(exist_ok=True)
    publish_file(staged, folder / LOG_FOLDER / f"{folded[0].stem}--{folded[-1].stem}.parquet")
    for record in folded:
        record.unlink()
    return len(folded)
