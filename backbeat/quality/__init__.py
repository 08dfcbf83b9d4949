"""Data quality: Soda Core v4 data contracts on every warehouse layer (raw, vault, marts)."""
