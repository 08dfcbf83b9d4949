"""Start bqemulator (a local BigQuery) for Backbeat's tests, offline.

Run with the emulator's own virtualenv (`make setup` builds it from
`emulator-requirements.txt` in ~/.cache/backbeat/bqemulator-venv):

    ~/.cache/backbeat/bqemulator-venv/bin/python deployments/bigquery/emulator.py \\
        start --rest-port 9050 --grpc-port 9060 --project backbeat-test

Two changes to the emulator as published, both made here at start:

- bqemulator loads DuckDB's spatial extension at start (for GEOGRAPHY) with `INSTALL spatial`,
  which downloads it; no pip-installable build exists for the DuckDB it needs. Backbeat uses no
  GEOGRAPHY, so the emulator starts without that extension.
- It shares one DuckDB connection between its REST handlers (queries, on the event loop) and
  its gRPC handlers (Storage Write API appends, on a thread pool). A query that overlaps an
  append deadlocks on DuckDB 1.5 (and is refused as "connection is busy" on DuckDB 2.0), which
  a loader with several workers hits at once. Both paths take one process-wide lock here, so
  the emulator answers them one after the other, as a single-connection database has to.
- Its gRPC server runs the (synchronous) Storage Write handlers on asyncio's default thread
  pool (6 threads on 2 cores). A client killed in the middle of an AppendRows stream leaves
  its handler waiting for requests that never come, holding a thread for good; after six such
  kills no append is served at all. The crash tests kill loaders on purpose, so the pool here
  is large enough that the leaked threads never starve it during a test session.
- Its INFORMATION_SCHEMA rewriter matches `ds.INFORMATION_SCHEMA.COLUMNS` but not the form
  with each part quoted, `` `ds`.`INFORMATION_SCHEMA`.`COLUMNS` ``, which BigQuery accepts and
  soda-bigquery writes: such a reference fails as a missing table. The parts are unquoted here
  before the rewriter runs.
"""

import functools
import re
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc.aio
from bqemulator.cli import main
from bqemulator.grpc_api.write_servicer import BigQueryWriteHandler
from bqemulator.sql import inner_query
from bqemulator.storage import engine

_CONNECTION_LOCK = threading.RLock()


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _CONNECTION_LOCK:
            return method(*args, **kwargs)

    return locked


_QUOTED_INFORMATION_SCHEMA = re.compile(r"`INFORMATION_SCHEMA`\s*\.\s*`(\w+)`", re.IGNORECASE)
_expand_information_schema = inner_query.expand_information_schema


def _unquoted_information_schema(bq_sql: str, *args: Any) -> str:
    return _expand_information_schema(
        _QUOTED_INFORMATION_SCHEMA.sub(r"INFORMATION_SCHEMA.\1", bq_sql), *args
    )


inner_query.expand_information_schema = _unquoted_information_schema
engine.DuckDBEngine._load_spatial = lambda self: None  # no GEOGRAPHY; see the docstring
engine.DuckDBEngine.execute = _serialized(engine.DuckDBEngine.execute)
engine.DuckDBEngine.fetch_arrow = _serialized(engine.DuckDBEngine.fetch_arrow)
BigQueryWriteHandler._flush_to_target = _serialized(BigQueryWriteHandler._flush_to_target)
grpc.aio.server = functools.partial(
    grpc.aio.server,
    migration_thread_pool=ThreadPoolExecutor(max_workers=512, thread_name_prefix="grpc-sync"),
)

if __name__ == "__main__":
    sys.exit(main())
