"""Bytewax connectors shared by Backbeat's dataflows."""
