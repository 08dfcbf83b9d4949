"""The production backend: BigQuery datasets `raw`, `vault`, `marts` (names configurable)."""
