"""Shared fixtures. `local_stack` starts real Kafka, Redis and Prefect once per test session.

Any test that uses `local_stack` (directly or through another fixture) is marked
`integration` automatically, so `pytest -m "not integration"` runs only the fast unit tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backbeat import stack
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.stack.private import private_cluster_settings, private_stack_settings
from tests.kafka.topics import empty_topics
from tests.waits import PATIENCE_S

TESTDATA = Path(__file__).resolve().parent / "data"
# As backbeat.quality does: tests that import Soda first must not send it telemetry either.
os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
# Tests compare marts with a full rebuild after builds seconds apart: the periodic marts are
# refreshed by every build here; tests/warehouse/test_vault.py holds the periodic refresh.
os.environ.setdefault("BACKBEAT_WAREHOUSE_BUILD_PERIODIC_REFRESH_MINUTES", "0")


@pytest.fixture(scope="session")
def eventsim_real() -> Path:
    """Real eventsim output nobody here wrote (`tests/data/eventsim_real`, its provenance in
    the README there)."""
    return TESTDATA / "eventsim_real"


@pytest.fixture(scope="session")
def listening_real() -> Path:
    """Real Last.fm listening (`tests/data/listening_real`)."""
    return TESTDATA / "listening_real"


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The real local stack on free ports, up for the whole session, stopped at the end."""
    settings = private_stack_settings(get_settings(), tmp_path_factory.mktemp("stack") / "state")
    try:
        stack.up(settings, progress=print)
        yield settings
    finally:
        stack.down(settings)


@pytest.fixture(scope="session")
def cluster_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A Kafka cluster of three brokers (topics replicated 3 times, 2 in sync) and a Redis
    Cluster of three masters with a password, on free ports, for the session: the scale-out
    path."""
    settings = with_overrides(
        private_cluster_settings(get_settings(), tmp_path_factory.mktemp("cluster") / "state"),
        redis={"password": "cluster-secret-in-tests"},
    )
    try:
        stack.up(settings, ["kafka", "redis"], progress=print)
        yield settings
    finally:
        stack.down(settings, ["kafka", "redis"])


@pytest.fixture(scope="session")
def _shared_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """One private Kafka for every test that needs empty topics (apart from `local_stack`'s,
    whose topics tests share): starting a broker per test cost minutes on a slow machine."""
    settings = private_stack_settings(get_settings(), tmp_path_factory.mktemp("kafka") / "state")
    try:
        stack.up(settings, ["kafka"])
        yield settings
    finally:
        stack.down(settings, ["kafka"])


@pytest.fixture
def fresh_kafka(_shared_kafka: Settings, tmp_path: Path) -> Settings:
    """Empty topics (and no consumer groups) on the shared private Kafka, with a warehouse and
    recovery folder of the test's own."""
    empty_topics(_shared_kafka.kafka)
    return with_overrides(
        _shared_kafka,
        stack={"state_dir": tmp_path / "state"},
        warehouse={"dir": tmp_path / "warehouse"},
        loader={"recovery_dir": tmp_path / "recovery", "metrics_port": 0, "snapshot_seconds": 1},
    )


EMULATOR_PYTHON = Path.home() / ".cache" / "backbeat" / "bqemulator-venv" / "bin" / "python"
EMULATOR_LAUNCHER = Path(__file__).resolve().parents[1] / "deployments" / "bigquery" / "emulator.py"


@dataclass(frozen=True)
class BigQueryEmulator:
    """Where the test session's bqemulator answers: REST (the client) and gRPC (Storage APIs)."""

    url: str
    grpc_address: str
    project: str = "backbeat-test"

    def settings(self, base: Settings, **warehouse: object) -> Settings:
        """`base` with the BigQuery backend pointed at this emulator (plus `warehouse` fields)."""
        return with_overrides(
            base,
            warehouse={
                "backend": "bigquery",
                "bigquery_project": self.project,
                "bigquery_endpoint": self.url,
                "bigquery_write_endpoint": self.grpc_address,
                **warehouse,
            },
        )


@pytest.fixture(scope="session")
def bigquery_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigQueryEmulator]:
    """A local BigQuery (bqemulator, in its own virtualenv) for the session."""
    import subprocess
    import time

    import httpx

    from backbeat.stack.private import free_port

    assert EMULATOR_PYTHON.exists(), f"{EMULATOR_PYTHON} is missing: run `make setup`"
    rest, grpc = free_port(), free_port()
    log = (tmp_path_factory.mktemp("bqemulator") / "emulator.log").open("wb")
    process = subprocess.Popen(
        [
            str(EMULATOR_PYTHON),
            str(EMULATOR_LAUNCHER),
            "start",
            "--rest-port",
            str(rest),
            "--grpc-port",
            str(grpc),
            "--project",
            "backbeat-test",
            "--log-level",
            "warning",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{rest}"
    try:
        deadline = time.monotonic() + PATIENCE_S
        while True:
            assert process.poll() is None, (
                f"bqemulator exited with {process.returncode}; see {log.name}"
            )
            try:
                if (
                    httpx.get(
                        f"{url}/bigquery/v2/projects/backbeat-test/datasets", timeout=1
                    ).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (
                f"bqemulator did not answer in {PATIENCE_S:.0f} s; see {log.name}"
            )
            time.sleep(0.25)
        yield BigQueryEmulator(url, f"127.0.0.1:{grpc}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # stuck on a client killed mid-stream: no state to keep
            process.kill()
            process.wait()
        log.close()


#: Fixtures that start real services: tests using them are integration tests.
@pytest.fixture
def realtime(fresh_kafka: Settings) -> Iterator[Settings]:
    """A private Kafka and Redis for the real-time side; sessions recover from their own dir."""
    settings = with_overrides(
        fresh_kafka,
        sessions={
            "recovery_dir": fresh_kafka.loader.recovery_dir.parent / "sessions",
            "metrics_port": 0,
            "snapshot_seconds": 1,
            "holdout_share": 0.0,
            "holdout_tags": ["holdout"],
        },
    )
    stack.up(settings, ["redis"])
    try:
        yield settings
    finally:
        stack.down(settings, ["redis"])


_SERVICE_FIXTURES = frozenset({"local_stack", "fresh_kafka", "bigquery_emulator", "cluster_stack"})


#: Real BigQuery for the `bigquery` tests (with Application Default Credentials).
REAL_BIGQUERY_PROJECT = os.environ.get("BACKBEAT_BIGQUERY_PROJECT", "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, needs_gcp = [], []
    for item in items:
        if _SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        if item.get_closest_marker("bigquery") and not REAL_BIGQUERY_PROJECT:
            needs_gcp.append(item)  # no credentials here: reported as deselected, not passed
        else:
            kept.append(item)
    if needs_gcp:
        config.hook.pytest_deselected(items=needs_gcp)
        items[:] = kept
