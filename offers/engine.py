"""Deciding offers: which rules hold for a session's features, minus cooldowns and holdout.

Pure logic. Decisions are stamped with the time of the event that triggered them, so a
replay after a crash decides the same offers with the same ids (the store and the
`offers` topic's readers keep one per id): recovery never double-issues an offer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from offers.rules import RuleSet


@dataclass(frozen=True)
class Decision:
    offer_id: str
    user_id: int
    rule_id: str
    offer_type: str
    payload: dict[str, Any]
    reason: str
    priority: int
    decided_at_ms: int
    expires_at_ms: int
    #: In the holdout: not shown to the user, only logged as "would have received".
    holdout: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def offer_id(user_id: int, rule_id: str, trigger_ms: int) -> str:
    """Stable id of the offer `rule_id` made to `user_id` by the event at `trigger_ms`."""
    return hashlib.sha256(f"{user_id}|{rule_id}|{trigger_ms}".encode()).hexdigest()[:24]


def in_holdout(user_id: int, tag: str | None, share: float, tags: Sequence[str]) -> bool:
    """Holdout by eventsim's `tag` (an A/B arm) or by a stable hash of the user id."""
    if tag is not None and tag in tags:
        return True
    digest = hashlib.sha256(f"holdout|{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


@dataclass
class OfferEngine:
    rules: RuleSet
    holdout_share: float = 0.0
    holdout_tags: Sequence[str] = ()

    def decide(
        self,
        user_id: int,
        tag: str | None,
        features: dict[str, Any],
        cooldowns: dict[str, int],
        now_ms: int,
    ) -> list[Decision]:
        """Offers for this moment, best first. `cooldowns` (rule id -> time of the last
        decision) is updated for every decision, holdout included, so both arms see the
        same frequency of offers."""
        holdout = in_holdout(user_id, tag, self.holdout_share, self.holdout_tags)
        decisions = []
        for rule in self.rules.rules:
            last = cooldowns.get(rule.id)
            if last is not None and now_ms - last < rule.cooldown.total_seconds() * 1000:
                continue
            if not rule.matches(features):
                continue
            cooldowns[rule.id] = now_ms
            decisions.append(
                Decision(
                    offer_id=offer_id(user_id, rule.id, now_ms),
                    user_id=user_id,
                    rule_id=rule.id,
                    offer_type=rule.offer,
                    payload=rule.payload_for(features),
                    reason=rule.reason_for(features),
                    priority=rule.priority,
                    decided_at_ms=now_ms,
                    expires_at_ms=now_ms + int(rule.expires_in.total_seconds() * 1000),
                    holdout=holdout,
                )
            )
        return sorted(decisions, key=lambda d: (-d.priority, d.rule_id))
