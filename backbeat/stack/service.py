"""What every local service has in common: a process, an address, a readiness check."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from backbeat.settings import Settings
from backbeat.stack.prerequisites import require_free_port, require_loopback
from backbeat.stack.process import ManagedProcess

Progress = Callable[[str], None]


class LocalService(ABC):
    """One server of the local stack, run from programs already on this machine: one node
    of its kind, named after the kind alone (`kafka`) or, where the settings ask for several
    nodes, numbered from 1 (`kafka-2`)."""

    kind: str
    #: A string in the running process's command line (see ManagedProcess).
    marker: str

    def __init__(self, settings: Settings, node: int = 0) -> None:
        self.settings = settings
        self.node = node
        self.node_count = self.nodes(settings)
        self.name = self.kind if self.node_count == 1 else f"{self.kind}-{node + 1}"
        self.state_dir = settings.stack.state_dir.expanduser().resolve()
        self.process = ManagedProcess(self.name, self.state_dir / "run", self.marker)

    @classmethod
    def nodes(cls, settings: Settings) -> int:
        """How many nodes of this kind the settings ask for."""
        return 1

    @property
    def is_last_node(self) -> bool:
        """The node whose `after_ready` sets the whole cluster up (all nodes answer by then)."""
        return self.node == self.node_count - 1

    @property
    @abstractmethod
    def host(self) -> str: ...

    @property
    @abstractmethod
    def port(self) -> int: ...

    @property
    @abstractmethod
    def setting(self) -> str:
        """The environment variable that sets this service's address (named in errors)."""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / self.name

    def ports(self) -> Sequence[int]:
        """Every port the service binds (checked free before it starts)."""
        return (self.port,)

    def check_programs(self) -> None:
        """Raise PrerequisiteMissing if a program the service runs is not installed."""

    def check_prerequisites(self) -> None:
        """Raise a StackError naming what is missing, before anything is started."""
        self.check_programs()
        require_loopback(self.host, self.setting)
        if self.process.pid() is None:
            for port in self.ports():
                require_free_port(self.host, port, self.name, self.setting)

    def prepare(self, progress: Progress) -> None:
        """One-time work before the first start (downloads, formatting storage)."""

    @abstractmethod
    def command(self) -> tuple[Sequence[str], Mapping[str, str]]:
        """The argv and environment that run the server in the foreground."""

    @abstractmethod
    def is_ready(self) -> bool:
        """A real request to the server succeeded (not just: the process exists)."""

    def after_ready(self, progress: Progress) -> None:
        """Work that needs the server up (creating topics)."""

    def start(self) -> int:
        argv, env = self.command()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.process.start(argv, env, cwd=self.data_dir)


def base_environment() -> dict[str, str]:
    """The environment a service inherits: ours, minus what would point it elsewhere."""
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    return env
