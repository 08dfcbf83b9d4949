"""eventsim's configuration JSON, loaded unchanged and checked before any simulation.

The file format is eventsim's own (`examples/example-config.json` and the 22-page
instrument configs load as they are). A *state* is the tuple (page, auth, status, method,
level); `transitions` give, per source state, the probability of each next state, and
1 - sum(p) is the probability that the session ends there.

Every error names the file and the line of the offending entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

#: Slack for probabilities written as decimals (0.1 + 0.2 ...).
_P_TOLERANCE = 1e-9


class ConfigError(ValueError):
    """The config cannot drive a simulation; the message starts with `file:line:`."""


class StateKey(NamedTuple):
    page: str
    auth: str
    status: int
    method: str
    level: str

    def describe(self) -> str:
        return f"{self.page} [{self.auth}/{self.level}] {self.method} {self.status}"


@dataclass(frozen=True)
class Transition:
    source: StateKey
    dest: StateKey
    p: float
    line: int


@dataclass(frozen=True)
class SimulationConfig:
    """What a config file says, with eventsim's defaults for keys it leaves out."""

    path: Path
    seed: int = 0
    alpha: float = 60.0
    beta: float = 259200.0
    damping: float = 0.0625
    weekend_damping: float = 0.5
    weekend_damping_offset_min: float = 6.0
    weekend_damping_scale_min: float = 6.0
    session_gap: float = 1800.0
    churned_state: str | None = None
    show_user_details: dict[str, bool] = field(default_factory=dict)
    levels: list[tuple[str, float]] = field(default_factory=list)
    auths: list[tuple[str, float]] = field(default_factory=list)
    new_user_auth: str = "Guest"
    new_user_level: str = "free"
    new_session: list[tuple[StateKey, float]] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    n_users: int | None = None
    first_user_id: int | None = None
    growth_rate: float | None = None
    tag: str | None = None


def _array_lines(text: str, key: str) -> list[int]:
    """The line on which each element of the top-level array `key` starts."""
    decoder = json.JSONDecoder()
    start = text.find(f'"{key}"')
    if start < 0:
        return []
    pos = text.index("[", start) + 1
    lines: list[int] = []
    while True:
        while text[pos] in " \t\r\n,":
            pos += 1
        if text[pos] == "]":
            return lines
        lines.append(text.count("\n", 0, pos) + 1)
        _, pos = decoder.raw_decode(text, pos)


def _state(entry: Any, where: str) -> StateKey:
    try:
        return StateKey(
            page=str(entry["page"]),
            auth=str(entry["auth"]),
            status=int(entry["status"]),
            method=str(entry["method"]),
            level=str(entry["level"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{where}: a state needs page, auth, status, method and level ({exc!r})"
        ) from None


def _weighted(entries: Any, name: str, key: str, where: str) -> list[tuple[str, float]]:
    try:
        return [(str(e[key]), float(e["weight"])) for e in entries]
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{where}: `{name}` entries need `{key}` and `weight`") from None


def load_config(path: Path) -> SimulationConfig:
    """Read and check an eventsim config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: expected a JSON object at the top")

    def line_of(key: str) -> int:
        index = text.find(f'"{key}"')
        return text.count("\n", 0, index) + 1 if index >= 0 else 1

    def number(key: str, default: float) -> float:
        value = raw.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"{path}:{line_of(key)}: `{key}` must be a number, got {value!r}")
        return float(value)

    transition_lines = _array_lines(text, "transitions")
    transitions = []
    for index, entry in enumerate(raw.get("transitions", [])):
        where = f"{path}:{transition_lines[index]}"
        if not isinstance(entry, dict) or "p" not in entry:
            raise ConfigError(f"{where}: a transition needs `source`, `dest` and `p`")
        p = entry["p"]
        if not isinstance(p, int | float) or not 0 <= p <= 1:
            raise ConfigError(f"{where}: transition probability must be in [0, 1], got {p!r}")
        transitions.append(
            Transition(
                _state(entry.get("source"), where),
                _state(entry.get("dest"), where),
                float(p),
                transition_lines[index],
            )
        )

    session_lines = _array_lines(text, "new-session")
    new_session = []
    for index, entry in enumerate(raw.get("new-session", [])):
        where = f"{path}:{session_lines[index]}"
        if not isinstance(entry, dict) or not isinstance(entry.get("weight"), int | float):
            raise ConfigError(f"{where}: a new-session entry needs a state and a numeric `weight`")
        new_session.append((_state(entry, where), float(entry["weight"])))

    show = raw.get("show-user-details", [])
    try:
        show_user_details = {str(e["auth"]): bool(e["show"]) for e in show}
    except (KeyError, TypeError):
        raise ConfigError(
            f"{path}:{line_of('show-user-details')}: entries need `auth` and `show`"
        ) from None

    def optional_int(key: str) -> int | None:
        return None if key not in raw else int(number(key, 0))

    config = SimulationConfig(
        path=path,
        seed=int(number("seed", 0)),
        alpha=number("alpha", 60.0),
        beta=number("beta", 259200.0),
        damping=number("damping", 0.0625),
        weekend_damping=number("weekend-damping", 0.5),
        weekend_damping_offset_min=number("weekend-damping-offset", 6.0),
        weekend_damping_scale_min=number("weekend-damping-scale", 6.0),
        session_gap=number("session-gap", 1800.0),
        churned_state=raw.get("churned-state"),
        show_user_details=show_user_details,
        levels=_weighted(raw.get("levels", []), "levels", "level", f"{path}:{line_of('levels')}"),
        auths=_weighted(raw.get("auths", []), "auths", "auth", f"{path}:{line_of('auths')}"),
        # eventsim's code default is "Free" (capital F), which matches no state; every config
        # sets it, so the lowercase default is only a safety net.
        new_user_auth=str(raw.get("new-user-auth", "Guest")),
        new_user_level=str(raw.get("new-user-level", "free")),
        new_session=new_session,
        transitions=transitions,
        n_users=optional_int("n-users"),
        first_user_id=optional_int("first-user-id"),
        growth_rate=None if "growth-rate" not in raw else number("growth-rate", 0.0),
        tag=None if raw.get("tag") is None else str(raw["tag"]),
    )
    for key in ("alpha", "beta"):
        if getattr(config, key) <= 0:
            raise ConfigError(f"{path}:{line_of(key)}: `{key}` must be positive")
    return config
