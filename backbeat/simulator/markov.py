"""eventsim's session model compiled for fast stepping: states by index, cumulative
probabilities per source state, and first-state weights per (auth, level)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from itertools import accumulate

from backbeat.simulator.config import ConfigError, SimulationConfig, StateKey

_P_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class WeightedStates:
    """States drawn by weight: `pick(u)` for u uniform in [0, 1)."""

    states: tuple[int, ...]
    cumulative: tuple[float, ...]

    def pick(self, u: float) -> int:
        return self.states[bisect_right(self.cumulative, u * self.cumulative[-1])]


class SessionModel:
    """The Markov chain of pages within a session, as eventsim runs it."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.states: list[StateKey] = []
        self._index: dict[StateKey, int] = {}
        by_source: dict[int, list[tuple[int, float, int]]] = defaultdict(list)
        for transition in config.transitions:
            source, dest = self._intern(transition.source), self._intern(transition.dest)
            by_source[source].append((dest, transition.p, transition.line))

        # Per state: cumulative p over its destinations (config order, as eventsim lays them out);
        # a draw past the last bound ends the session.
        self._dests: list[tuple[int, ...]] = [() for _ in self.states]
        self._bounds: list[tuple[float, ...]] = [() for _ in self.states]
        for source, outgoing in by_source.items():
            total = sum(p for _, p, _ in outgoing)
            if total > 1 + _P_TOLERANCE:
                raise ConfigError(
                    f"{config.path}:{outgoing[0][2]}: transition probabilities from "
                    f"{self.states[source].describe()} sum to {total:.6g}, more than 1"
                )
            self._dests[source] = tuple(dest for dest, _, _ in outgoing)
            self._bounds[source] = tuple(accumulate(p for _, p, _ in outgoing))

        self.new_session: dict[tuple[str, str], WeightedStates] = {}
        grouped: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
        for state, weight in config.new_session:
            if state not in self._index:
                raise ConfigError(
                    f"{config.path}: new-session state {state.describe()} is an unknown state "
                    "(it appears in no transition)"
                )
            grouped[(state.auth, state.level)].append((self._index[state], weight))
        for key, entries in grouped.items():
            self.new_session[key] = WeightedStates(
                tuple(s for s, _ in entries), tuple(accumulate(w for _, w in entries))
            )
        self._check_start_states()
        self.page = [s.page for s in self.states]
        self.auth = [s.auth for s in self.states]
        self.level = [s.level for s in self.states]
        self.status = [s.status for s in self.states]
        self.method = [s.method for s in self.states]
        self.redirect = [300 <= s.status < 400 for s in self.states]
        self.shows_user = [config.show_user_details.get(s.auth, False) for s in self.states]

    def _intern(self, state: StateKey) -> int:
        index = self._index.get(state)
        if index is None:
            index = self._index[state] = len(self.states)
            self.states.append(state)
        return index

    def _check_start_states(self) -> None:
        config = self.config
        starts = {(auth, level) for auth, _ in config.auths for level, _ in config.levels}
        starts.add((config.new_user_auth, config.new_user_level))
        weighted = {(a, lv) for a, w in config.auths if w > 0 for lv, wl in config.levels if wl > 0}
        for key in sorted(starts & (weighted | {(config.new_user_auth, config.new_user_level)})):
            if key not in self.new_session:
                raise ConfigError(
                    f"{config.path}: users can start as {key[0]}/{key[1]} but `new-session` has no "
                    "state for that auth and level"
                )

    def index(self, state: StateKey) -> int:
        return self._index[state]

    def next_state(self, state: int, u: float) -> int | None:
        """The state after `state` for a uniform draw `u`, or None when the session ends."""
        bounds = self._bounds[state]
        position = bisect_right(bounds, u)
        return self._dests[state][position] if position < len(bounds) else None

    def first_state(self, auth: str, level: str, u: float) -> int | None:
        """The first state of a session for a user last seen as (auth, level), if any."""
        weighted = self.new_session.get((auth, level))
        return None if weighted is None else weighted.pick(u)

    def end_probability(self, state: int) -> float:
        bounds = self._bounds[state]
        return 1.0 - (bounds[-1] if bounds else 0.0)
