"""`backbeat sessions` and `backbeat offers`: the real-time side, run and looked at."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Annotated, Any

import redis
import typer
from rich.table import Table

from backbeat.cli._utilities import (
    Addresses,
    ProcessId,
    cluster_environment,
    console,
    dataflow_failed,
    err_console,
    exit_with_error,
    print_json,
    require_kafka,
)
from backbeat.settings import get_settings
from dataflows.launch import init_recovery, run_dataflow, sessions_command
from offers.rules import RulesError, load_rules
from offers.store import RedisOfferStore
from offers.store_config import sync_client

app = typer.Typer()


@app.command()
def sessions(
    exit_when_idle: Annotated[
        float | None,
        typer.Option(
            "--exit-when-idle",
            min=0,
            help="Stop once the page views have been drained for this many seconds.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Bytewax workers (default: setting)."),
    ] = None,
    process_id: ProcessId = None,
    addresses: Addresses = None,
) -> None:
    """Run the sessions dataflow: page views -> sessions -> live features, offers and
    recommendations in Redis, offers also to the `offers` topic.

    Several processes (on one machine or many) split the page views between them by user:
    start each with the same -a list and its own -i. Process k serves /metrics on the metrics
    port + k."""
    cluster = cluster_environment(process_id, addresses)
    settings = get_settings()
    try:
        rules = load_rules(settings.sessions.rules_path)
    except RulesError as exc:
        exit_with_error(f"offer rules: {exc}")
    require_kafka(settings.kafka)
    try:
        sync_client(settings.redis).ping()
    except redis.RedisError as exc:
        exit_with_error(f"Redis at {settings.redis.url} does not answer ({exc}); `backbeat up`")
    port = settings.sessions.metrics_port + (process_id or 0)
    metrics = f" (metrics on 127.0.0.1:{port}/metrics)" if settings.sessions.metrics_port else ""
    err_console.print(
        f"sessions: {settings.kafka.bootstrap_servers} -> {settings.redis.url}, "
        f"{len(rules.rules)} offer rules from {settings.sessions.rules_path}{metrics}",
        highlight=False,
    )
    init_recovery(settings.sessions.recovery_dir)
    code = run_dataflow(
        sessions_command(settings.sessions, exit_when_idle, workers), dict(os.environ) | cluster
    )
    if code != 0:
        dataflow_failed("sessions dataflow", code, cluster)


def _when(ms: Any) -> str:
    return dt.datetime.fromtimestamp(int(ms) / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@app.command()
def offers(
    user_id: Annotated[int, typer.Argument(help="eventsim userId", min=0)],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Recommendations.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """A user's live session features, active offers and recommendations, from Redis."""
    settings = get_settings()
    store = RedisOfferStore.from_settings(settings)
    try:
        report: dict[str, Any] = {
            "user_id": user_id,
            "session": store.session(user_id),
            "offers": store.offers(user_id),
            "recommendations": store.recommendations(user_id, k),
        }
    except redis.RedisError as exc:
        exit_with_error(f"Redis at {settings.redis.url} does not answer ({exc})")
    if as_json:
        print_json(report)
        return
    if report["session"] is None:
        console.print(f"user {user_id}: no live session in Redis")
    else:
        features = Table("feature", "value", title=f"user {user_id}: live session")
        for name, value in report["session"].items():
            shown = _when(value) if name.endswith("_ms") else str(value)
            features.add_row(name, shown)
        console.print(features)
    active = Table("offer", "type", "reason", "expires", title="active offers, best first")
    for offer in report["offers"]:
        active.add_row(
            offer["offer_id"], offer["offer_type"], offer["reason"], _when(offer["expires_at_ms"])
        )
    console.print(active if report["offers"] else "no active offers")
    recommended = Table("#", "artist", "song", "from", title="recommendations")
    for rank, song in enumerate(report["recommendations"], 1):
        recommended.add_row(str(rank), song["artist"], song["song"], song["source"])
    console.print(recommended if report["recommendations"] else "no recommendations yet")


@app.command()
def api(
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535)] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1)] = None,
    openapi: Annotated[
        bool, typer.Option("--openapi", help="Print the OpenAPI schema instead of serving.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="With --openapi: write it here.")
    ] = None,
) -> None:
    """Serve the offer lookup API (FastAPI on uvicorn) on 127.0.0.1 by default."""
    from offers.api import create_app

    settings = get_settings()
    if openapi:
        text = json.dumps(create_app(settings).openapi(), indent=2, sort_keys=True) + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
            err_console.print(f"wrote {output}", highlight=False)
        else:
            console.print(text, markup=False, highlight=False, soft_wrap=True)
        return
    if not settings.api.keys:
        err_console.print(
            "[yellow]no API keys configured (BACKBEAT_API_KEYS): every call gets 401[/]"
        )
    import uvicorn

    uvicorn.run(
        "offers.api:create_app",
        factory=True,
        host=settings.api.host,
        port=port or settings.api.port,
        workers=workers or settings.api.workers,
        log_level="warning",
    )
