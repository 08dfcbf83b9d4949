"""Prefect flows that build, check and maintain the warehouse."""
