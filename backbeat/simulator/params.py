"""Turning eventsim-style options (times, day offsets, config overrides) into a run's params."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backbeat.simulator.config import SimulationConfig
from backbeat.simulator.engine import SimulationParams


def parse_time(text: str, now: datetime) -> datetime:
    """An ISO date-time (naive means UTC, as eventsim's output labels it) or `now`."""
    if text == "now":
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"expected an ISO date-time like 2026-01-31T00:00:00 or 'now', got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def resolve_params(
    config: SimulationConfig,
    *,
    now: datetime,
    start_time: str | None,
    end_time: str | None,
    from_days: float,
    to_days: float,
    continuous: bool,
    n_users: int | None,
    growth_rate: float | None,
    first_user_id: int | None,
    seed: int | None,
    tag: str | None,
) -> SimulationParams:
    """Options given on the command line win; then the config's values; then defaults.

    (eventsim lets the config's n-users, first-user-id and growth-rate override the command
    line; Backbeat lets an explicit option win.) In continuous mode there is no end unless
    one is given.
    """
    start = parse_time(start_time, now) if start_time else now - timedelta(days=from_days)
    if end_time:
        end: datetime | None = parse_time(end_time, now)
    else:
        end = None if continuous else now - timedelta(days=to_days)
    if end is not None and end <= start:
        raise ValueError(
            f"the end ({end.isoformat()}) must be after the start ({start.isoformat()})"
        )
    return SimulationParams(
        start_ms=epoch_ms(start),
        end_ms=None if end is None else epoch_ms(end),
        n_users=n_users if n_users is not None else (config.n_users or 100),
        growth_rate=growth_rate if growth_rate is not None else (config.growth_rate or 0.0),
        first_user_id=first_user_id if first_user_id is not None else (config.first_user_id or 1),
        seed=seed if seed is not None else config.seed,
        tag=tag if tag is not None else config.tag,
    )
