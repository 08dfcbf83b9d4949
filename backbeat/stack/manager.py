"""Bring the local stack up, take it down, and say how it is."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from backbeat.settings import Settings
from backbeat.stack.errors import ServiceFailedToStart, StackError
from backbeat.stack.kafka import KafkaService
from backbeat.stack.kafka_jars import resolve_kafka_libs
from backbeat.stack.prefect import PrefectService
from backbeat.stack.redis import RedisService
from backbeat.stack.service import LocalService, Progress

SERVICE_NAMES = ("kafka", "redis", "prefect")
_SERVICE_TYPES: dict[str, type[LocalService]] = {
    "kafka": KafkaService,
    "redis": RedisService,
    "prefect": PrefectService,
}


@dataclass(frozen=True)
class ServiceStatus:
    """What `backbeat status` reports for one service."""

    service: str
    address: str
    healthy: bool
    pid: int | None
    log_file: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def services(settings: Settings, names: Iterable[str] = SERVICE_NAMES) -> list[LocalService]:
    """The local services, in start order: every node of a kind named (`kafka`), or one
    node by its name (`kafka-2`, where the settings ask for several). Unknown names are an
    error."""
    chosen = list(names) or list(SERVICE_NAMES)
    every = [
        _SERVICE_TYPES[kind](settings, node)
        for kind in SERVICE_NAMES
        for node in range(_SERVICE_TYPES[kind].nodes(settings))
    ]
    # The kinds in start order, then the nodes of those that have several.
    known = list(SERVICE_NAMES) + [s.name for s in every if s.name not in SERVICE_NAMES]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        expected = ", ".join(known)
        raise StackError(f"unknown service {unknown[0]!r}; expected one of {expected}")
    return [service for service in every if service.kind in chosen or service.name in chosen]


def _status(service: LocalService) -> ServiceStatus:
    return ServiceStatus(
        service=service.name,
        address=service.address,
        healthy=service.is_ready(),
        pid=service.process.pid(),
        log_file=str(service.process.log_file),
    )


def prepare(settings: Settings, progress: Progress = lambda _: None) -> None:
    """Check the programs the stack needs and fetch Kafka's jars, without starting anything."""
    for service in services(settings):
        service.check_programs()
    resolve_kafka_libs(settings.stack, progress)


def up(
    settings: Settings,
    names: Iterable[str] = SERVICE_NAMES,
    progress: Progress = lambda _: None,
) -> list[ServiceStatus]:
    """Start every chosen service that is not running, and wait until all answer.

    Idempotent: running services are left alone. Prerequisites of all services are
    checked before any is started, so a missing program fails fast and leaves nothing behind.
    """
    chosen = services(settings, names)
    errors = _port_clashes(services(settings))
    for service in chosen:
        try:
            service.check_prerequisites()
        except StackError as exc:
            errors.append(str(exc))
    if errors:
        raise StackError("; ".join(errors)) if len(errors) > 1 else StackError(errors[0])

    started: list[LocalService] = []
    for service in chosen:
        if service.process.pid() is not None:
            progress(f"{service.name} already running on {service.address}")
            continue
        service.prepare(progress)
        progress(f"starting {service.name} on {service.address}")
        service.start()
        started.append(service)

    deadline = time.monotonic() + settings.stack.start_timeout_s
    for service in chosen:
        progress(f"waiting for {service.name} to answer")
        _wait_ready(service, deadline)
        service.after_ready(progress)
    return [_status(service) for service in chosen]


def _port_clashes(every: list[LocalService]) -> list[str]:
    """Two nodes set to bind one port (e.g. a broker on another's controller port)."""
    owners: dict[int, LocalService] = {}
    clashes = []
    for service in every:
        for port in service.ports():
            other = owners.setdefault(port, service)
            if other is not service:
                clashes.append(
                    f"{other.name} and {service.name} would both bind port {port}; "
                    f"change {service.setting} or {other.setting}"
                )
    return clashes


def _wait_ready(service: LocalService, deadline: float) -> None:
    while not service.is_ready():
        if service.process.exited():
            last = " | ".join(line.strip() for line in service.process.tail(3))
            raise ServiceFailedToStart(
                f"{service.name} exited during start; see {service.process.log_file}: {last}"
            )
        if time.monotonic() > deadline:
            service.process.stop()
            raise ServiceFailedToStart(
                f"{service.name} did not answer on {service.address} in time; "
                f"see {service.process.log_file}"
            )
        time.sleep(0.25)


def down(
    settings: Settings,
    names: Iterable[str] = SERVICE_NAMES,
    progress: Progress = lambda _: None,
) -> list[str]:
    """Stop the chosen services (in reverse start order); returns the names that were running."""
    stopped = []
    for service in reversed(services(settings, names)):
        if service.process.stop():
            progress(f"stopped {service.name}")
            stopped.append(service.name)
    return stopped


def status(settings: Settings, names: Iterable[str] = SERVICE_NAMES) -> list[ServiceStatus]:
    """Each service's address, whether it answers a real request, and its pid if we started it."""
    return [_status(service) for service in services(settings, names)]


def service_named(settings: Settings, name: str) -> LocalService:
    """One service by name (for `backbeat logs NAME`)."""
    return services(settings, [name])[0]
