"""Bytewax dataflows: the loader (Kafka → raw) and sessions (Kafka → offers in Redis)."""
