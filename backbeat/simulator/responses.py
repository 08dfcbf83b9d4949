"""Simulated users answering offers: what an accepted offer makes a user do next.

The simulator stays pure: it asks an `OfferResponder` (the I/O side, e.g.
`backbeat.emit.offer_responder.ApiOfferResponder`) which offers a user accepts at a moment,
and turns each accepted type into a change of course through `RESPONSES`. Without a
responder, or when nothing is accepted, the run draws exactly the same random numbers and so
writes the same events as without the loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from random import Random
from typing import Protocol

from backbeat.simulator.markov import SessionModel


class Response(Enum):
    """What an accepted offer makes the user do."""

    UPGRADE = "upgrade"  # the next page is Submit Upgrade
    STAY = "stay"  # for a while, Downgrade and Cancel lead Home instead


#: Offer types that change what a user does; other types are accepted and nothing follows.
RESPONSES: Mapping[str, Response] = {
    "premium_trial": Response.UPGRADE,
    "retention_discount": Response.STAY,
}

#: Pages a retained user does not go on to.
LEAVING_PAGES = frozenset({"Submit Downgrade", "Cancel"})


class OfferResponder(Protocol):
    def accepted(self, user_id: int, at_ms: int) -> Sequence[str]:
        """Offer types `user_id` accepts at `at_ms` (each offer answered once)."""
        ...


class AcceptancePolicy:
    """A user shown an offer of a type accepts it with that type's chance (own seeded RNG)."""

    def __init__(self, chances: Mapping[str, float], seed: int = 0) -> None:
        self.chances = dict(chances)
        self._rng = Random(seed)

    def accepts(self, offer_type: str) -> bool:
        chance = self.chances.get(offer_type, 0.0)
        return chance > 0 and self._rng.random() < chance


class Steering:
    """Where the session model lets an accepted offer lead: state indices by (auth, level)."""

    def __init__(self, model: SessionModel) -> None:
        self._submit_upgrade: dict[str, int] = {}
        self._home: dict[tuple[str, str], int] = {}
        self._leaving: set[int] = set()
        for index, state in enumerate(model.states):
            if state.page == "Submit Upgrade" and state.level == "free":
                self._submit_upgrade.setdefault(state.auth, index)
            elif state.page == "Home" and state.status == 200:
                self._home.setdefault((state.auth, state.level), index)
            if state.page in LEAVING_PAGES:
                self._leaving.add(index)
        self._model = model

    def upgrade_from(self, state: int) -> int | None:
        """The Submit Upgrade state for a free user at `state`, if the model has one."""
        model = self._model
        if model.level[state] != "free":
            return None
        return self._submit_upgrade.get(model.auth[state])

    def instead_of_leaving(self, state: int) -> int:
        """`state`, or Home at the same auth and level if `state` is a step to leave."""
        if state not in self._leaving:
            return state
        model = self._model
        return self._home.get((model.auth[state], model.level[state]), state)
