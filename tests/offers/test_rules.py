"""Offer rules: the shipped file loads; mistakes are errors that name the problem; a bad
edit leaves the rules in force; conditions, cooldowns, expiry and holdout decide right."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backbeat.settings import get_settings
from offers.engine import OfferEngine, in_holdout, offer_id
from offers.rules import RuleBook, RulesError, load_rules

RULE = """
version: 1
rules:
  - id: trial
    offer: premium_trial
    when: {level: free, upgrade_views: {gte: 2}, submitted_upgrade: false}
    payload: {trial_days: 30, note: "after {upgrade_views} looks"}
    reason: "Opened Upgrade {upgrade_views} times"
    priority: 5
    cooldown: 1h
    expires_in: 30m
"""


def features(**values: object) -> dict[str, object]:
    base = {"level": "free", "upgrade_views": 0, "submitted_upgrade": False}
    return {**base, **values}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def test_the_shipped_rules_load() -> None:
    rules = load_rules(get_settings().sessions.rules_path)
    assert {r.offer for r in rules.rules} >= {
        "premium_trial",
        "retention_discount",
        "apology_credit",
        "artist_spotlight",
    }


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("upgrade_views: {gte: 2}", "upgrade_view: {gte: 2}"), "unknown feature 'upgrade_view'"),
        (("{gte: 2}", "{atleast: 2}"), "unknown operator"),
        (("cooldown: 1h", "cooldown: soon"), "not a duration"),
        (("priority: 5", "priority: 5\n    prority: 1"), "prority"),
        (("times", "times {upgrades}"), "{upgrades}"),
        (("id: trial", "id: Trial Rule"), "rules.0.id"),
        (("version: 1", "version: 2"), "version"),
    ],
)
def test_a_mistake_in_the_rules_file_is_an_error_naming_it(
    tmp_path: Path, change: tuple[str, str], problem: str
) -> None:
    with pytest.raises(RulesError) as raised:
        load_rules(write(tmp_path, RULE.replace(*change)))
    assert problem in str(raised.value) and "rules.yaml" in str(raised.value)


def test_a_bad_edit_keeps_the_rules_in_force_and_a_good_one_replaces_them(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, RULE)
    book = RuleBook(path)
    path.write_text(RULE.replace("upgrade_views: {gte: 2}", "upgrade_viewz: 2"))
    os.utime(path, ns=(1, 1))  # a new stamp even within the clock's resolution
    assert book.refresh() is False
    assert book.rules.rules[0].when["upgrade_views"] == {"gte": 2}
    assert book.last_error and "upgrade_viewz" in book.last_error
    path.write_text(RULE.replace("gte: 2", "gte: 3"))
    assert book.refresh() is True
    assert book.rules.rules[0].when["upgrade_views"] == {"gte": 3}


def test_an_offer_is_decided_when_the_rule_holds_with_reason_payload_and_expiry(
    tmp_path: Path,
) -> None:
    engine = OfferEngine(load_rules(write(tmp_path, RULE)))
    cooldowns: dict[str, int] = {}
    assert engine.decide(7, None, features(upgrade_views=1), cooldowns, 1_000) == []
    (decision,) = engine.decide(7, None, features(upgrade_views=2), cooldowns, 2_000)
    assert decision.reason == "Opened Upgrade 2 times"
    assert decision.payload == {"trial_days": 30, "note": "after 2 looks"}
    assert decision.expires_at_ms == 2_000 + 30 * 60_000
    assert decision.offer_id == offer_id(7, "trial", 2_000)
    assert not decision.holdout
    assert engine.decide(7, None, features(upgrade_views=2, level="paid"), {}, 3_000) == []
    assert engine.decide(7, None, features(upgrade_views=5, submitted_upgrade=True), {}, 1) == []


def test_the_cooldown_holds_back_the_same_rule_until_it_has_passed(tmp_path: Path) -> None:
    engine = OfferEngine(load_rules(write(tmp_path, RULE)))
    cooldowns: dict[str, int] = {}
    hot = features(upgrade_views=3)
    assert len(engine.decide(7, None, hot, cooldowns, 0)) == 1
    assert engine.decide(7, None, hot, cooldowns, 3_600_000 - 1) == []
    assert len(engine.decide(7, None, hot, cooldowns, 3_600_000)) == 1


def test_holdout_users_are_decided_for_but_marked(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, RULE))
    everyone = OfferEngine(rules, holdout_share=1.0)
    (decision,) = everyone.decide(7, None, features(upgrade_views=2), {}, 0)
    assert decision.holdout
    by_tag = OfferEngine(rules, holdout_share=0.0, holdout_tags=("control",))
    assert by_tag.decide(7, "control", features(upgrade_views=2), {}, 0)[0].holdout
    assert not by_tag.decide(7, "treatment", features(upgrade_views=2), {}, 0)[0].holdout


def test_the_holdout_share_is_close_to_its_setting_and_stable_per_user() -> None:
    chosen = [u for u in range(20_000) if in_holdout(u, None, 0.1, ())]
    assert 1_800 < len(chosen) < 2_200
    assert chosen == [u for u in range(20_000) if in_holdout(u, None, 0.1, ())]
