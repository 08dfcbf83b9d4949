"""Offer rules as data: a YAML file, validated when it is loaded.

    version: 1
    rules:
      - id: premium_trial_upgrade_intent
        offer: premium_trial
        when: {level: free, upgrade_views: {gte: 2}, submitted_upgrade: false}
        payload: {trial_days: 30}
        reason: "Opened Upgrade {upgrade_views} times without upgrading"
        priority: 90
        cooldown: 7d
        expires_in: 2h

`when` maps feature names (offers/features.py) to a value (equality) or to one or more of
`eq ne gt gte lt lte in`; all must hold. `reason` (and string payload values) may name
features in braces. Durations
are `<number><s|m|h|d>`. A mistyped feature, operator or key is an error, never a rule that
silently never fires. `RuleBook` re-reads the file when it changes and keeps the rules in
force when the new file is bad.
"""

from __future__ import annotations

import logging
import operator
import re
import string
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from offers.features import FEATURE_NAMES

log = logging.getLogger(__name__)

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "in": lambda value, options: value in options,
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class RulesError(ValueError):
    """A rules file that cannot be used; the message says where and what."""


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration like 30m, 2h or 7d")
        return timedelta(**{_UNITS[match[2]]: float(match[1])})
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    offer: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="the offer type")
    when: dict[str, Any]
    payload: dict[str, Any] = Field(default_factory=dict)
    reason: str
    priority: int = 0
    cooldown: Duration
    expires_in: Duration

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if not self.when:
            raise ValueError("`when` needs at least one condition")
        for feature, test in self.when.items():
            if feature not in FEATURE_NAMES:
                raise ValueError(f"unknown feature {feature!r}; known: {sorted(FEATURE_NAMES)}")
            if isinstance(test, dict):
                unknown = set(test) - set(OPERATORS)
                if unknown or not test:
                    raise ValueError(
                        f"{feature}: unknown operator(s) {sorted(unknown)}; use {sorted(OPERATORS)}"
                    )
        templates = [self.reason, *(v for v in self.payload.values() if isinstance(v, str))]
        for template in templates:
            for _, name, _, _ in string.Formatter().parse(template):
                if name is not None and name not in FEATURE_NAMES:
                    raise ValueError(f"{template!r} names {{{name}}}, which is not a feature")
        if self.cooldown < timedelta(0) or self.expires_in <= timedelta(0):
            raise ValueError("cooldown must be >= 0 and expires_in > 0")
        return self

    def matches(self, features: dict[str, Any]) -> bool:
        for feature, test in self.when.items():
            value = features[feature]
            tests = test if isinstance(test, dict) else {"eq": test}
            try:
                if not all(OPERATORS[op](value, expected) for op, expected in tests.items()):
                    return False
            except TypeError:  # e.g. comparing a level with a number: the rule does not hold
                return False
        return True

    def reason_for(self, features: dict[str, Any]) -> str:
        return self.reason.format(**features)

    def payload_for(self, features: dict[str, Any]) -> dict[str, Any]:
        """The payload, its string values filled in from the features like the reason."""
        return {
            k: v.format(**features) if isinstance(v, str) else v for k, v in self.payload.items()
        }


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    rules: list[Rule]

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleSet:
        ids = [rule.id for rule in self.rules]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"rule ids must be unique; repeated: {repeated}")
        return self


def load_rules(path: Path) -> RuleSet:
    """The rules in `path`, or RulesError naming the file and every problem."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path}: {exc}") from None
    try:
        return RuleSet.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}"
            for error in exc.errors()
        )
        raise RulesError(f"{path}: {problems}") from None


class RuleBook:
    """The rules in force, re-read from their file when it changes.

    The first load must succeed (a dataflow does not start without rules); later a bad
    file is logged and the rules in force stay.
    """

    def __init__(self, path: Path, check_every_s: float = 0.0) -> None:
        self.path = path
        self.check_every_s = check_every_s
        self._checked = time.monotonic()
        self._stamp = self._file_stamp()
        self.rules = load_rules(path)
        self.last_error: str | None = None

    def _file_stamp(self) -> tuple[int, int]:
        stat = self.path.stat()
        return stat.st_mtime_ns, stat.st_size

    def refresh(self) -> bool:
        """Re-read the file if it changed (looking at most every `check_every_s`); True when
        new rules came into force."""
        now = time.monotonic()
        if now - self._checked < self.check_every_s:
            return False
        self._checked = now
        try:
            stamp = self._file_stamp()
        except OSError as exc:
            self.last_error = f"{self.path}: {exc}"
            log.error("offer rules unreadable, keeping the rules in force: %s", exc)
            return False
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            self.rules = load_rules(self.path)
        except RulesError as exc:
            self.last_error = str(exc)
            log.error("offer rules rejected, keeping the rules in force: %s", exc)
            return False
        self.last_error = None
        log.info("offer rules reloaded from %s: %d rules", self.path, len(self.rules.rules))
        return True
