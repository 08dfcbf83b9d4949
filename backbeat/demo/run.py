"""One demo, start to end: the stack, the long-running parts, a simulated population (a
history replayed at once, then a live part in real time whose users answer offers), a build
and a quality scan through Prefect, and the summary read back from the warehouse.

The stack stays up afterwards (`backbeat down` stops it); the loader, sessions, API and
dashboard stop when the demo ends, unless the caller keeps the `demo_running` block open.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backbeat import stack
from backbeat.demo.processes import children, wait_until_answers
from backbeat.demo.summary import DemoSummary, read_back
from backbeat.emit.offer_responder import ApiOfferResponder
from backbeat.emit.pacing import Pacer
from backbeat.emit.runs import Progress, RunStats, run_simulation
from backbeat.kafka.producer import KafkaProducer
from backbeat.kafka.topics import EVENT_TOPICS
from backbeat.settings import Settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.simulator.responses import OfferResponder
from backbeat.waiting import wait_until
from backbeat.warehouse import open_warehouse
from backbeat.warehouse.freshness import freshness_sql
from backbeat.warehouse.queries import Warehouse

Say = Callable[[str], None]
DEMO_API_KEY = "backbeat-demo"


@dataclass(frozen=True)
class DemoOptions:
    users: int = 2000
    history_hours: float = 24.0
    live_seconds: float = 60.0
    seed: int = 7
    catalogue_size: int = 5000


class LiveResponder:
    """Users answer offers only in the live part; the history is replayed at once."""

    def __init__(self, inner: OfferResponder, live_from_ms: int) -> None:
        self.inner = inner
        self.live_from_ms = live_from_ms

    def accepted(self, user_id: int, at_ms: int) -> Sequence[str]:
        return [] if at_ms < self.live_from_ms else self.inner.accepted(user_id, at_ms)


def _demo_settings(settings: Settings) -> Settings:
    keys = [k.get_secret_value() for k in settings.api.keys] or [DEMO_API_KEY]
    plain = next((k for k in keys if not k.startswith("sha256:")), DEMO_API_KEY)
    return with_overrides(
        settings,
        api={"keys": keys if plain in keys else [*keys, plain]},
        responses={"api_url": f"http://127.0.0.1:{settings.api.port}", "api_key": plain},
    )


def _environment(settings: Settings) -> dict[str, str]:
    """What the demo's processes run with: its settings, and Prefect's own variable."""
    return {**settings_environment(settings), "PREFECT_API_URL": str(settings.prefect.api_url)}


def _wait_for_raw(warehouse: Warehouse, stats: RunStats, say: Say, timeout_s: float = 600) -> None:
    """Until the loader has landed every event sent, and the offers topic has gone quiet."""
    deadline = time.monotonic() + timeout_s
    sent = {t: stats.counts[t] for t in EVENT_TOPICS}

    def landed() -> dict[str, int]:
        counts = warehouse.raw_counts()
        return counts if all(counts.get(t, 0) >= n for t, n in sent.items()) else {}

    counts = wait_until(landed, f"the loader landing all {sum(sent.values()):,} records", timeout_s)
    say(f"raw has every event sent ({sum(sent.values()):,} records)")
    quiet_since, offers = time.monotonic(), counts.get("offers", 0)
    while time.monotonic() - quiet_since < 5 and time.monotonic() < deadline:
        time.sleep(1)
        now = warehouse.raw_counts().get("offers", 0)
        if now != offers:
            offers, quiet_since = now, time.monotonic()


def _build_and_scan(settings: Settings, say: Say) -> dict[str, Any]:
    """The build-warehouse and quality-scan flows, as runs of the stack's Prefect server."""
    from flows.build_warehouse import build_warehouse
    from flows.prefect_server import using_prefect_api
    from flows.quality_scan import QualityCheckFailed, quality_scan

    with using_prefect_api(settings):
        return _run_flows(build_warehouse, quality_scan, QualityCheckFailed, say)


def _run_flows(
    build_warehouse: Any, quality_scan: Any, failed: type[Exception], say: Say
) -> dict[str, Any]:
    built: dict[str, Any] = build_warehouse(refresh_all=True)  # the summary reads every mart
    vault, marts = built["vault_rows"], built["marts_rows"]
    say(f"build {built['build_id']}: {vault:,} vault rows, {marts:,} mart rows")
    try:
        quality_scan()
    except failed as exc:
        say(f"quality: {exc}")
    return built


def _quality_of_last_scan(warehouse: Warehouse) -> dict[str, Any]:
    rows = warehouse.query(
        """SELECT contract, check_type, check_name, column_name, outcome FROM quality.results
           WHERE run_id = (SELECT run_id FROM quality.results ORDER BY checked_at DESC LIMIT 1)"""
    ).rows
    failed = [
        f"{c}.{col}: {t} ({n})" if col else f"{c}: {t} ({n})"
        for c, t, n, col, outcome in rows
        if outcome in ("failed", "error")
    ]
    return {"checks": len(rows), "failed": len(failed), "failed_checks": failed}


@contextmanager
def demo_running(
    settings: Settings, options: DemoOptions, say: Say, progress: Progress | None = None
) -> Iterator[DemoSummary]:
    """Run the demo; the summary is yielded while the loader, sessions, API and dashboard are
    still up, and they stop when the block ends."""
    settings = _demo_settings(settings)
    stack.up(settings, progress=say)
    env = _environment(settings)
    log_dir = settings.stack.state_dir / "logs"
    commands = {
        "loader": ["load"],
        "sessions": ["sessions"],
        "api": ["api"],
        "dashboard": ["dashboard"],
        "builds": ["build", "--continuous"],  # the marts follow the stream
    }
    with children(commands, env, log_dir) as running:
        api_url = f"http://127.0.0.1:{settings.api.port}"
        dashboard_url = f"http://127.0.0.1:{settings.dashboard.port}/"
        wait_until_answers(running["api"], f"{api_url}/healthz")
        wait_until_answers(running["dashboard"], f"{dashboard_url}healthz")
        say("loader, sessions, API, dashboard and continuous builds are running")

        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        live_until = now_ms + int(options.live_seconds * 1000)
        params = SimulationParams(
            now_ms - int(options.history_hours * 3_600_000),
            live_until,
            options.users,
            seed=options.seed,
        )
        responder = ApiOfferResponder(settings)
        responder.check()
        simulator = build_simulator(
            SimulatorOptions(
                params,
                catalogue_size=options.catalogue_size,
                responder=LiveResponder(responder, now_ms),
                retention_s=int(settings.responses.retention_days * 86400),
            )
        )
        say(
            f"simulating {options.users:,} users: {options.history_hours:g} h of history at once, "
            f"then {options.live_seconds:g} s live"
        )
        # Anchored at the moment the run starts, not at `now_ms` (set-up took a while):
        # events are released when their time comes, not late by the set-up's length.
        started_ms = int(datetime.now(UTC).timestamp() * 1000)
        pacer = Pacer(1.0, anchor_ms=started_ms)
        stats = run_simulation(simulator, KafkaProducer(settings.kafka), pacer, progress)
        responder.close()
        for child in running.values():
            child.check()

        warehouse = open_warehouse(settings)
        _wait_for_raw(warehouse, stats, say)
        _build_and_scan(settings, say)
        live_minutes = max(1, math.ceil((time.time() * 1000 - now_ms) / 60_000) + 1)
        # The first live events queue behind the history the loader is still landing; the
        # second half of the live part (or after 30 s) is the steady state.
        settled_ms = now_ms + int(min(30.0, options.live_seconds / 2) * 1000)
        summary = read_back(warehouse, freshness_sql(live_minutes, events_from_ms=settled_ms))
        summary.events_per_topic = dict(stats.counts)
        summary.quality = _quality_of_last_scan(warehouse)
        summary.offers["api_answers"] = sum(responder.counts.values())
        summary.urls = {
            "dashboard": dashboard_url,
            "Prefect UI": str(settings.prefect.api_url).removesuffix("/api"),
            "API docs": f"{api_url}/docs",
        }
        yield summary
