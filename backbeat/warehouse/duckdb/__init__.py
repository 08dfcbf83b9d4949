"""The embedded backend: every table is Parquet files, published by atomic rename.

Who writes what, so that nothing blocks: the loader writes only `raw/` (each file written
under a temporary name and renamed into place, so a reader never sees half a file); a build
(one at a time, under a file lock) writes only `vault/`, `marts/` and `builds/`
(model_files.py); readers open their own in-memory DuckDB with views over the files
(warehouse.py). No process ever holds a DuckDB database file, whose single-writer lock would
keep every reader out while a build runs.
"""
