"""Data quality: Soda Core v4 data contracts on every warehouse layer (raw, vault, marts)."""

import os

# Soda Core sends usage traces to Soda's servers unless told not to; Backbeat's scans run
# offline (and in CI, where that host cannot be reached, every scan would wait on retries).
# Set SODA_CORE_TELEMETRY_ENABLED=true to send them. Read by Soda when first imported.
os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
