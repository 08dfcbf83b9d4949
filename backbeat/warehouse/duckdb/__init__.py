"""The embedded backend: raw tables as Parquet files, vault and marts in a DuckDB file.

Who writes what, so that nothing blocks: the loader writes only Parquet files (each
written under a temporary name and renamed into place, so a reader never sees half a
file) and never opens the DuckDB file; the Prefect flows are the only writers of the
DuckDB file, one at a time; readers open their own in-memory DuckDB over the Parquet files
(and attach the DuckDB file read-only when it is free).
"""
