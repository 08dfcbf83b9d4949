"""One key's activity end to end in pure logic: features, offers, co-plays and late events
from hand-made click sequences; sessions on real eventsim output against its sessionId."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from backbeat.events.schemas import PageViewEvent
from backbeat.events.sources import EventFileReader, input_files, read_lines
from backbeat.settings import get_settings
from offers.activity import (
    ActivityConfig,
    KeyActivity,
    LateEvent,
    OfferDecided,
    SessionUpdated,
    SongPlayed,
)
from offers.engine import OfferEngine
from offers.features import PageView, page_view
from offers.rules import load_rules
from offers.sessionizer import Sessionizer
from tests.offers.scripts import MINUTE, view

CONFIG = ActivityConfig(
    gap_ms=30 * MINUTE, lateness_ms=10 * MINUTE, co_play_window=3, half_life_ms=14 * 86_400_000
)


def engine(share: float = 0.0) -> OfferEngine:
    return OfferEngine(load_rules(get_settings().sessions.rules_path), holdout_share=share)


def run(views: list[PageView], offers: OfferEngine) -> list[object]:
    activity = KeyActivity.new(views[0].key, CONFIG)
    return [effect for v in views for effect in activity.on_view(v, offers, CONFIG)]


def test_opening_upgrade_three_times_gets_a_premium_trial_once() -> None:
    clicks = [view(0, "Home"), view(1, "Upgrade"), view(2, "Home"), view(3, "Upgrade")]
    clicks += [view(4, "Upgrade")]
    effects = run(clicks, engine())
    decided = [e.decision for e in effects if isinstance(e, OfferDecided)]
    assert [(d.rule_id, d.offer_type) for d in decided] == [
        ("premium_trial_upgrade_intent", "premium_trial")
    ]
    assert decided[0].reason == "Opened Upgrade 2 times this session without upgrading"
    assert decided[0].decided_at_ms == clicks[3].ts
    last = [e for e in effects if isinstance(e, SessionUpdated)][-1]
    assert last.features["upgrade_views"] == 3 and last.features["events"] == 5


def test_a_paid_user_on_downgrade_gets_the_retention_offer_and_errors_an_apology() -> None:
    clicks = [view(0, "Home", level="paid"), view(1, "Downgrade", level="paid")]
    clicks += [view(2 + i, "Error", level="paid", status=404) for i in range(3)]
    decided = [e.decision.rule_id for e in run(clicks, engine()) if isinstance(e, OfferDecided)]
    assert decided == ["retention_discount", "apology_credit"]


def test_the_same_clicks_replayed_decide_the_same_offer_ids() -> None:
    clicks = [view(0, "Home"), view(1, "Upgrade"), view(2, "Upgrade")]
    first = [e.decision.offer_id for e in run(clicks, engine()) if isinstance(e, OfferDecided)]
    again = [e.decision.offer_id for e in run(clicks, engine()) if isinstance(e, OfferDecided)]
    assert first == again and len(first) == 1


def test_plays_feed_co_plays_and_the_artist_spotlight() -> None:
    clicks = [view(i, "NextSong", artist="Muse", song=f"S{i}") for i in range(4)]
    effects = run(clicks, engine())
    plays = [e for e in effects if isinstance(e, SongPlayed)]
    assert [len(p.co_played) for p in plays] == [0, 1, 2, 3]
    assert plays[3].co_played[0] == plays[2].song_id  # the newest play first
    (spotlight,) = [e.decision for e in effects if isinstance(e, OfferDecided)]
    assert spotlight.payload == {"artist": "Muse"}
    updated = [e for e in effects if isinstance(e, SessionUpdated)][-1].features
    assert (updated["songs_played"], updated["seconds_listened"], updated["plays_24h"]) == (
        4,
        800.0,
        4,
    )


def test_a_too_late_event_is_reported_not_applied() -> None:
    clicks = [view(0, "Home"), view(45, "Home"), view(5, "Upgrade")]
    effects = run(clicks, engine())
    late = [e for e in effects if isinstance(e, LateEvent)]
    assert [(e.key, e.ts) for e in late] == [("user:7", clicks[2].ts)]
    assert late[0].watermark_ms == clicks[1].ts - CONFIG.lateness_ms


def test_holdout_decisions_are_marked() -> None:
    clicks = [view(0, "Upgrade"), view(1, "Upgrade")]
    decided = [e.decision for e in run(clicks, engine(1.0)) if isinstance(e, OfferDecided)]
    assert decided and all(d.holdout for d in decided)


def test_guests_get_sessions_but_no_offers_or_user_keys() -> None:
    clicks = [view(i, "Upgrade", user_id=None) for i in range(3)]
    assert run(clicks, engine()) == []


def test_sessions_on_real_eventsim_output_agree_with_its_session_ids(
    eventsim_real: Path,
) -> None:
    """eventsim's own sessions end after 30 minutes of inactivity too, so nearly every
    session found here should carry exactly one of its session ids."""
    reader = EventFileReader()
    views: list[PageView] = []
    for path in input_files([eventsim_real / "sparkify_dend_log_data"]):
        for line in read_lines(path):
            for _, record in reader.records(line):
                if isinstance(record, PageViewEvent):
                    views.append(page_view(record))
    by_key: dict[str, Sessionizer] = defaultdict(lambda: Sessionizer(30 * MINUTE, 0))
    for v in sorted(views, key=lambda v: v.ts):
        assert by_key[v.key].add(v) is not None
    sessions = [s for sessionizer in by_key.values() for s in sessionizer.sessions]
    agreeing = sum(len(s.eventsim_sessions) == 1 for s in sessions)
    print(f"{len(views)} page views, {len(sessions)} sessions, {agreeing} agree with eventsim")
    assert len(views) > 8_000
    assert agreeing / len(sessions) > 0.95
