"""The sessions dataflow: page views -> event-time sessions -> live features, offers and
recommendations in Redis; every decided offer also to the `offers` topic.

    backbeat sessions        # with recovery set up and settings applied
    python -m bytewax.run "dataflows.sessions:build_flow()" -w 1 -r .backbeat/recovery/sessions -s 5

Reads `page_view_events` only: every simulated event is a page view, NextSong page views
carry the song, and Submit Upgrade/Downgrade pages are the plan changes, so the other three
topics would add nothing but their order to reconcile. Records keyed by user (guests by
eventsim session) go to one stateful step (offers/activity.py) that keeps sessions,
cooldowns and play counts; its clock is the key's event time, advanced by system time while
the key is silent (as Bytewax's EventClock does), so a session closes `gap` after its
last event even if the user never returns. State, Kafka offsets and open sessions are in
Bytewax's recovery snapshots: a restart resumes where the last snapshot was and replays
the records after it, deciding the same offers with the same ids.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.operators import StatefulLogic
from prometheus_client import Counter

from backbeat.events.codec import EventDecodeError, RecordDecoder
from backbeat.events.schemas import PageViewEvent
from backbeat.settings import Settings, get_settings
from dataflows.connectors.kafka_source import KafkaRecord, KafkaTopicsSource
from dataflows.connectors.offers_sink import OffersTopicSink
from dataflows.connectors.redis_sink import RedisEffectsSink
from dataflows.launch import RecoveryInUse, hold_recovery_lock, refuse
from dataflows.lifecycle import serve_metrics, stop_on_signals
from offers.activity import (
    IDLE_FORGET_MS,
    ActivityConfig,
    Effect,
    KeyActivity,
    LateEvent,
    OfferDecided,
    SessionClosed,
)
from offers.engine import Decision, OfferEngine
from offers.features import PageView, page_view
from offers.rules import RuleBook

log = logging.getLogger("backbeat.sessions")
STOP = threading.Event()
SOURCE_TOPICS = ("page_view_events",)
#: How often the rules file is checked for changes.
RULES_CHECK_S = 2.0

INVALID = Counter("backbeat_sessions_invalid_records_total", "Records that are not page views")
LATE = Counter("backbeat_sessions_late_events_total", "Events older than the allowed lateness")
CLOSED = Counter("backbeat_sessions_closed_total", "Sessions closed", ["agrees_with_eventsim"])
DECIDED = Counter("backbeat_offers_decided_total", "Offers decided", ["rule", "holdout"])


def to_view(record: KafkaRecord, decoder: RecordDecoder) -> PageView | None:
    """The page view in a record; None (counted) when it is not one: the loader dead-letters
    those, this flow only skips them."""
    try:
        event = decoder.decode(record.topic, record.value or b"")
    except EventDecodeError:
        INVALID.inc()
        return None
    assert isinstance(event, PageViewEvent)
    return page_view(event)


@dataclass
class KeyState:
    activity: KeyActivity
    #: System time (ms) when the key's newest event time last moved forward.
    newest_seen_ms: int = 0


def _now_ms() -> int:
    return int(time.time() * 1000)


class ActivityLogic(StatefulLogic[PageView, Effect, KeyState]):
    """One key's activity in the dataflow: effects per event, sessions closed on time."""

    def __init__(
        self, state: KeyState, engine: OfferEngine, rules: RuleBook, config: ActivityConfig
    ):
        self.state = state
        self.engine = engine
        self.rules = rules
        self.config = config

    def _watermark(self, now_ms: int) -> int | None:
        activity = self.state.activity
        base = activity.sessionizer.watermark_ms
        if base is None:
            return None
        return base + max(0, now_ms - self.state.newest_seen_ms)

    def on_item(self, value: PageView) -> tuple[Iterable[Effect], bool]:
        _refresh_rules(self.rules, self.engine)
        activity = self.state.activity
        activity.key = activity.key or value.key
        before = activity.sessionizer.newest_ms
        effects = activity.on_view(value, self.engine, self.config)
        now_ms = _now_ms()
        if before is None or (activity.sessionizer.newest_ms or 0) > before:
            self.state.newest_seen_ms = now_ms
        watermark = self._watermark(now_ms)
        if watermark is not None:
            effects += activity.close_before(watermark)
        _count(effects)
        return effects, StatefulLogic.RETAIN

    def on_notify(self) -> tuple[Iterable[Effect], bool]:
        watermark = self._watermark(_now_ms())
        if watermark is None:
            return [], StatefulLogic.DISCARD
        effects = self.state.activity.close_before(watermark)
        _count(effects)
        idle = self.state.activity.is_idle(watermark)
        return effects, StatefulLogic.DISCARD if idle else StatefulLogic.RETAIN

    def on_eof(self) -> tuple[Iterable[Effect], bool]:
        return [], StatefulLogic.RETAIN  # open sessions carry on after a restart

    def notify_at(self) -> datetime | None:
        activity = self.state.activity
        base = activity.sessionizer.watermark_ms
        if base is None:
            return None
        due = activity.sessionizer.next_close_ms()
        # Watermark w is reached at system time newest_seen + (w - base).
        target = due if due is not None else base + IDLE_FORGET_MS
        at_ms = self.state.newest_seen_ms + max(0, target - base)
        return datetime.fromtimestamp(at_ms / 1000, UTC)

    def snapshot(self) -> KeyState:
        return copy.deepcopy(self.state)


def _refresh_rules(rules: RuleBook, engine: OfferEngine) -> None:
    if rules.refresh():
        engine.rules = rules.rules


def _count(effects: list[Effect]) -> None:
    for effect in effects:
        if isinstance(effect, LateEvent):
            LATE.inc()
            log.warning(
                "late event for %s at ts=%d, %d ms behind the watermark: counted, not applied",
                effect.key,
                effect.ts,
                effect.watermark_ms - effect.ts,
            )
        elif isinstance(effect, SessionClosed):
            CLOSED.labels(str(effect.agrees_with_eventsim).lower()).inc()
        elif isinstance(effect, OfferDecided):
            DECIDED.labels(effect.decision.rule_id, str(effect.decision.holdout).lower()).inc()


def _decision(effect: Effect) -> Decision | None:
    return effect.decision if isinstance(effect, OfferDecided) else None


def build_flow(exit_when_idle_s: float | None = None, settings: Settings | None = None) -> Dataflow:
    settings = settings or get_settings()
    sessions = settings.sessions
    try:
        hold_recovery_lock(sessions.recovery_dir, "sessions")
    except RecoveryInUse as exc:
        refuse(f"the sessions dataflow refuses to start: {exc}")
    stop_on_signals(STOP)
    serve_metrics(sessions.metrics_port)
    # A bad file stops the start, with the reason; later edits are looked at every few seconds.
    rules = RuleBook(sessions.rules_path, check_every_s=RULES_CHECK_S)
    engine = OfferEngine(rules.rules, sessions.holdout_share, tuple(sessions.holdout_tags))
    config = ActivityConfig.from_settings(sessions)

    def build(resume: KeyState | None) -> ActivityLogic:
        # Bytewax does not pass the key: the first event names it (KeyActivity.key).
        return ActivityLogic(resume or KeyState(KeyActivity.new("", config)), engine, rules, config)

    flow = Dataflow("backbeat_sessions")
    records = op.input(
        "read_kafka",
        flow,
        KafkaTopicsSource(
            settings.kafka,
            SOURCE_TOPICS,
            exit_when_idle_s=exit_when_idle_s,
            stop=STOP,
            dataflow="sessions",
            on_data_loss=refuse,
        ),
    )
    decoder = RecordDecoder.from_settings(settings.events)
    views = op.filter_map("parse", records, lambda record: to_view(record, decoder))
    keyed = op.key_on("key", views, lambda view: view.key)
    effects = op.stateful("activity", keyed, build)
    unkeyed = op.map("unkey", effects, lambda item: item[1])
    op.output("redis", unkeyed, RedisEffectsSink(settings))
    decisions = op.filter_map("decisions", unkeyed, _decision)
    op.output("offers_topic", decisions, OffersTopicSink(settings.kafka))
    return flow
