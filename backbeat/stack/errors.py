"""Expected failures of the local stack: each message is one line that says how to fix it."""

from __future__ import annotations


class StackError(Exception):
    """The local stack cannot do what was asked; `str(error)` is meant for a person."""


class PrerequisiteMissing(StackError):
    """A program the stack needs (java, mvn, redis-server) is missing or too old."""


class PortInUse(StackError):
    """Another process already listens where a service must bind."""


class ServiceFailedToStart(StackError):
    """A service exited or never became ready; the message points at its log."""
