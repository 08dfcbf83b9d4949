"""The simulator's offer loop, without the API: scripted responders stand in for the users'
answers (the real, HTTP one is tested end to end in tests/offers/test_feedback_loop.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from backbeat.events.codec import encode
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.config import load_config
from backbeat.simulator.default_model import CONFIG_PATH
from backbeat.simulator.engine import SimulatedEvent, SimulationParams
from backbeat.simulator.markov import SessionModel
from backbeat.simulator.responses import AcceptancePolicy, Steering
from tests.simulator.conftest import DAY_MS, MONDAY

CONFIG = load_config(CONFIG_PATH)


class ScriptedResponder:
    """Accepts `offer_type` for users `accepts(user_id)` says yes to, once per user; records
    every question."""

    def __init__(self, offer_type: str, accepts: Callable[[int], bool]) -> None:
        self.offer_type = offer_type
        self.accepts = accepts
        self.asked: list[tuple[int, int]] = []
        self.answered: dict[int, int] = {}

    def accepted(self, user_id: int, at_ms: int) -> list[str]:
        self.asked.append((user_id, at_ms))
        if user_id in self.answered or not self.accepts(user_id):
            return []
        self.answered[user_id] = at_ms
        return [self.offer_type]


def run(
    responder: ScriptedResponder | None, users: int = 150, days: float = 3
) -> list[SimulatedEvent]:
    simulator = build_simulator(
        SimulatorOptions(
            SimulationParams(
                start_ms=MONDAY, end_ms=MONDAY + int(days * DAY_MS), n_users=users, seed=3
            ),
            CONFIG,
            catalogue_size=2000,
            responder=responder,
        )
    )
    return list(simulator.events())


def pages(events: list[SimulatedEvent]) -> list[tuple[int, int, str, str, int]]:
    """(user, ts, page, level, item in session) of every page view that shows a user."""
    views = [e.record for e in events if e.topic == "page_view_events"]
    return [
        (v.user_id, v.ts, v.page, v.level, v.item_in_session)  # type: ignore[attr-defined]
        for v in views
        if v.user_id  # type: ignore[attr-defined]
    ]


def test_a_responder_that_accepts_nothing_changes_no_byte() -> None:
    silent = ScriptedResponder("premium_trial", lambda user: False)
    assert [encode(e.record) for e in run(silent)] == [encode(e.record) for e in run(None)]
    assert silent.asked, "logged-in users were never asked"


def test_an_accepted_premium_trial_leads_straight_to_submit_upgrade() -> None:
    responder = ScriptedResponder("premium_trial", lambda user: True)
    views = pages(run(responder))
    free_when_answered = 0
    for user, at_ms in responder.answered.items():
        # A session's first page is drawn at its start; the next step of a session is steered.
        moves = [v for v in views if v[0] == user and v[1] > at_ms and v[4] > 0]
        answered_at = [v for v in views if v[0] == user and v[1] == at_ms]
        if answered_at and answered_at[-1][3] == "free" and moves:
            free_when_answered += 1
            assert moves[0][2] == "Submit Upgrade", (user, moves[:3])
            assert any(v[3] == "paid" for v in moves[1:])
    assert free_when_answered >= 10


def test_a_retained_user_neither_downgrades_nor_cancels() -> None:
    leaving = {"Submit Downgrade", "Cancel"}
    baseline = Counter(page for _, _, page, *_ in pages(run(None)) if page in leaving)
    assert baseline["Submit Downgrade"] > 0  # the model does let paid users leave

    responder = ScriptedResponder("retention_discount", lambda user: True)
    steered = pages(run(responder))
    left = [v for v in steered if v[2] in leaving and v[1] > responder.answered.get(v[0], 2**62)]
    assert left == []
    assert len(steered) > 0.8 * sum(1 for _ in pages(run(None)))


def test_steering_goes_only_where_the_model_has_states() -> None:
    model = SessionModel(CONFIG)
    steering = Steering(model)
    index = {(s.page, s.auth, s.level): i for i, s in enumerate(model.states)}
    home_free = index[("Home", "Logged In", "free")]
    home_paid = index[("Home", "Logged In", "paid")]
    assert steering.upgrade_from(home_free) == index[("Submit Upgrade", "Logged In", "free")]
    assert steering.upgrade_from(home_paid) is None  # paid users have nothing to upgrade to
    assert (
        steering.instead_of_leaving(index[("Submit Downgrade", "Logged In", "paid")]) == home_paid
    )
    assert steering.instead_of_leaving(index[("Cancel", "Logged In", "free")]) == home_free
    assert steering.instead_of_leaving(home_paid) == home_paid


def test_acceptance_follows_the_chance_per_offer_type() -> None:
    policy = AcceptancePolicy({"premium_trial": 0.3, "never": 0.0}, seed=1)
    trials = [policy.accepts("premium_trial") for _ in range(20_000)]
    assert abs(sum(trials) / len(trials) - 0.3) < 0.015
    assert not any(policy.accepts("never") for _ in range(100))
    assert not any(policy.accepts("unknown") for _ in range(100))
