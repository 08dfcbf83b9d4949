"""Backbeat: an event-driven data platform for a music-streaming service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("backbeat")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
