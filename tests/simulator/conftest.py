from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backbeat.simulator.catalogue import generated_catalogue
from backbeat.simulator.config import SimulationConfig, load_config
from backbeat.simulator.engine import SimulatedEvent, SimulationParams, Simulator

#: A Monday, 00:00 UTC: whole weeks from here keep weekday arithmetic simple.
MONDAY = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000)
DAY_MS = 86_400_000


@pytest.fixture(scope="session")
def example_config(eventsim_real: Path) -> SimulationConfig:
    return load_config(eventsim_real / "reference" / "configs" / "kafka-fork_example-config.json")


Simulate = Callable[..., list[SimulatedEvent]]


@pytest.fixture(scope="session")
def simulate() -> Simulate:
    def run(
        config: SimulationConfig, users: int, days: float, seed: int = 7, **params: object
    ) -> list[SimulatedEvent]:
        simulator = Simulator(
            config,
            generated_catalogue(2000, seed),
            SimulationParams(
                start_ms=MONDAY,
                end_ms=MONDAY + int(days * DAY_MS),
                n_users=users,
                seed=seed,
                **params,
            ),  # type: ignore[arg-type]
        )
        return list(simulator.events())

    return run
