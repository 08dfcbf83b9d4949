"""The local stack: real Apache Kafka (KRaft), Redis and a Prefect server on 127.0.0.1.

Each service runs from programs on this machine (Java + Kafka's jars from Maven Central,
Debian's redis-server, Prefect from the virtualenv), with a pid file and a log under the
state directory, and counts as healthy only when it answers a real request.
"""

from backbeat.stack.errors import PortInUse, PrerequisiteMissing, ServiceFailedToStart, StackError
from backbeat.stack.manager import SERVICE_NAMES, ServiceStatus, down, prepare, status, up

__all__ = [
    "SERVICE_NAMES",
    "PortInUse",
    "PrerequisiteMissing",
    "ServiceFailedToStart",
    "ServiceStatus",
    "StackError",
    "down",
    "prepare",
    "status",
    "up",
]
