"""A hand-made story of offers, what users did with them and the plan changes after, and of
the plays the sessions dataflow judged: raw rows for the truth tests of
marts.offer_performance and marts.recommendation_quality_daily, and for the backends' parity."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from backbeat.events import encode
from backbeat.events.schemas import (
    OfferEventRecord,
    PageViewEvent,
    StatusChangeEvent,
)
from backbeat.warehouse.rows import RawRow
from dataflows.connectors.judgements_topic import judgement_record
from dataflows.connectors.offers_sink import offer_record
from offers.engine import Decision, offer_id
from offers.recommender import Judgement

T = 1_790_000_000_000  # decisions on this day
DAY, MINUTE = 86_400_000, 60_000
CONVERSION_DAYS = 7  # the default setting


@dataclass(frozen=True)
class Story:
    user: int
    level: str
    offer_type: str
    holdout: bool
    reactions: tuple[str, ...] = ()
    #: (days after the offer, level before the change) of later plan changes
    changes: tuple[tuple[float, str], ...] = ()


STORIES = [
    Story(1, "free", "premium_trial", False, ("impression", "accept"), ((1, "free"),)),
    Story(2, "free", "premium_trial", False, ("impression",), ((10, "free"),)),  # too late
    Story(3, "free", "premium_trial", True, (), ((2, "free"),)),  # upgraded anyway
    Story(4, "free", "premium_trial", True),
    Story(5, "paid", "retention_discount", False, ("impression",)),  # stayed
    Story(6, "paid", "retention_discount", True, (), ((1, "paid"),)),  # downgraded
    Story(7, "paid", "retention_discount", False, ("impression", "dismiss"), ((3, "paid"),)),
]


#: Plays judged on day T and the next: (user, day, recommender hit, popularity hit, served).
JUDGED = [
    (user, day, i < 2 + day, i == 0, "popularity" if user == 6 else "recommender")
    for user in range(1, 8)
    for day in (0, 1)
    for i in range(4)
]


def _view(user: int, ts: int, level: str, page: str = "Home") -> bytes:
    return encode(
        PageViewEvent(
            ts=ts,
            session_id=user,
            page=page,
            auth="Logged In",
            method="GET",
            status=200,
            level=level,
            item_in_session=0,
            user_id=user,
        )
    )


def raw_rows() -> list[RawRow]:
    rows: list[RawRow] = []

    def add(topic: str, event_ms: int, value: bytes) -> None:
        rows.append(RawRow(topic, 0, len(rows), event_ms, event_ms, value))

    for story in STORIES:
        decided = T + story.user * MINUTE
        add("page_view_events", decided, _view(story.user, decided, story.level))
        decision = Decision(
            offer_id(story.user, story.offer_type, decided),
            story.user,
            "rule",
            story.offer_type,
            {},
            "why",
            1,
            decided,
            decided + DAY,
            story.holdout,
        )
        add("offers", decided, encode(offer_record(decision)))
        for i, reaction in enumerate(story.reactions):
            event = OfferEventRecord(
                ts=decided + (i + 1) * MINUTE,
                offer_id=decision.offer_id,
                user_id=story.user,
                offer_type=story.offer_type,
                type=reaction,
            )
            add("offer_events", event.ts, msgspec.json.encode(event) + b"\n")
        for days, before in story.changes:
            at = decided + int(days * DAY)
            change = StatusChangeEvent(
                ts=at,
                session_id=story.user,
                auth="Logged In",
                level=before,
                item_in_session=1,
                user_id=story.user,
            )
            add("status_change_events", at, encode(change))
    for n, (user, day, recommender, popularity, served) in enumerate(JUDGED):
        at = T + day * DAY + 2 * DAY // 3 + n * 1000
        judged = Judgement(1.0, recommender, popularity, user, at, f"song-{n}", served)  # type: ignore[arg-type]
        add("recommendation_judgements", at, encode(judgement_record(judged)))
    return rows
