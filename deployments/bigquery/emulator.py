"""Start bqemulator (a local BigQuery) for Backbeat's tests, offline.

Run with the emulator's own virtualenv (`make setup` builds it from
`emulator-requirements.txt` in ~/.cache/backbeat/bqemulator-venv):

    ~/.cache/backbeat/bqemulator-venv/bin/python deployments/bigquery/emulator.py \\
        start --rest-port 9050 --grpc-port 9060 --project backbeat-test

bqemulator loads DuckDB's spatial extension at start (for GEOGRAPHY) with `INSTALL spatial`,
which downloads it; no pip-installable build exists for the DuckDB it needs. Backbeat uses no
GEOGRAPHY, so this launcher starts the emulator without that extension; everything else is
the emulator as published.
"""

import sys

from bqemulator.cli import main
from bqemulator.storage import engine

engine.DuckDBEngine._load_spatial = lambda self: None  # no GEOGRAPHY; see the docstring

if __name__ == "__main__":
    sys.exit(main())
