"""`quality.results`: one row per check per quality scan, on both backends (BigQuery types).

Each backend stores it (its `quality.py`); the DuckDB warehouse shows it as a view over
`<warehouse>/quality/results/*.parquet` (one file per scan, renamed into place).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: The Soda data source name contracts run against, on every backend.
DATA_SOURCE: Final = "backbeat"
RESULTS_TABLE: Final = "results"
#: Where the DuckDB warehouse keeps it, under its directory.
RESULTS_FOLDER: Final = Path("quality") / RESULTS_TABLE
RESULT_COLUMNS: Final = (
    ("run_id", "STRING"),
    ("contract", "STRING"),
    ("check_name", "STRING"),
    ("check_type", "STRING"),
    ("column_name", "STRING"),
    ("outcome", "STRING"),
    ("value", "FLOAT64"),
    ("threshold", "STRING"),
    ("message", "STRING"),
    ("checked_at", "TIMESTAMP"),
)
