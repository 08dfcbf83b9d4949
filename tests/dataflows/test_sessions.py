"""The sessions dataflow against a real Kafka and a real Redis: a user who keeps opening
Upgrade gets the premium trial in Redis with its reason, a holdout user does not (but is
logged on the `offers` topic), late events change a session or are counted; Redis going
away delays decisions without losing them; a crash and restart issue no offer twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from backbeat import stack
from backbeat.events import encode
from backbeat.events.schemas import PageViewEvent
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import Settings, get_settings
from backbeat.settings.environment import settings_environment
from backbeat.warehouse import open_warehouse
from offers.store import RedisOfferStore
from tests.dataflows.processes import cluster_process, load_until_idle, read_topic, start_sessions
from tests.waits import PATIENCE_S, eventually

MINUTE = 60_000
T = TypeVar("T")


def click(user: int, ts: int, page: str, level: str = "free", tag: str | None = None) -> bytes:
    fields: dict[str, Any] = {"user_id": user, "first_name": "Ada", "last_name": "L"}
    fields |= {"gender": "F", "registration": ts - 86_400_000}
    if tag is not None:
        fields["tag"] = tag
    event = PageViewEvent(
        ts=ts,
        session_id=1000 + user,
        page=page,
        auth="Logged In",
        method="GET",
        status=200,
        level=level,
        item_in_session=0,
        city="Tampa",
        zip="33601",
        state="FL",
        user_agent="Mozilla/5.0",
        lon=-82.4,
        lat=27.9,
        **fields,
    )
    return encode(event)


def produce(settings: Settings, clicks: list[tuple[int, bytes]]) -> None:
    sink = KafkaProducer(settings.kafka)
    for user, value in clicks:
        sink.write("page_view_events", str(user).encode(), value)
    sink.close()


def upgrade_intent(user: int, start: int, tag: str | None = None) -> list[tuple[int, bytes]]:
    pages = ["Home", "Upgrade", "Home", "Upgrade", "Upgrade"]
    return [(user, click(user, start + i * MINUTE, page, tag=tag)) for i, page in enumerate(pages)]


def store_of(settings: Settings) -> RedisOfferStore:
    return RedisOfferStore.from_settings(settings)


def offers_on_topic(settings: Settings) -> list[dict[str, Any]]:
    return [msgspec.json.decode(value) for value in read_topic(settings, "offers")]


def test_offers_holdout_and_late_events(realtime: Settings) -> None:
    t0 = int(time.time() * 1000) - 50 * MINUTE  # offers expire 2 h after their event
    late_user = 30
    lateness = [(0, "Home"), (10, "Home"), (45, "Home"), (38, "Upgrade"), (5, "Settings")]
    produce(
        realtime,
        upgrade_intent(10, t0)
        + upgrade_intent(20, t0, tag="holdout")
        + [(late_user, click(late_user, t0 + m * MINUTE, page)) for m, page in lateness],
    )
    process = start_sessions(realtime, exit_when_idle=3)
    _, stderr = process.communicate(timeout=PATIENCE_S)
    assert process.returncode == 0, stderr[-3000:]

    store = store_of(realtime)
    (offer,) = store.offers(10)
    assert offer["offer_type"] == "premium_trial"
    assert offer["reason"] == "Opened Upgrade 2 times this session without upgrading"
    assert offer["expires_at_ms"] == t0 + 3 * MINUTE + 2 * 60 * MINUTE
    assert store.session(10)["upgrade_views"] == 3  # type: ignore[index]

    assert store.offers(20) == []  # the holdout user: features yes, offers no
    assert store.session(20) is not None
    logged = {(o["user_id"], o["holdout"]) for o in offers_on_topic(realtime)}
    assert logged == {(10, False), (20, True)}

    # The late Upgrade (minute 38, watermark 35) joined minutes 0-10 and 45 into one
    # session; the Settings click at minute 5 came after the watermark and was counted.
    late_session = store.session(late_user)
    assert late_session is not None
    assert late_session["session_started_at_ms"] == t0
    assert (late_session["events"], late_session["upgrade_views"]) == (4, 1)
    assert late_session["settings_views"] == 0
    assert store.stats()["late_events"] == 1
    assert "late event for user:30" in stderr

    shown = subprocess.run(
        [sys.executable, "-m", "backbeat", "offers", "10", "--json"],
        env={**os.environ, **settings_environment(realtime)},
        capture_output=True,
        text=True,
        check=True,
    )
    report = msgspec.json.decode(shown.stdout)
    assert [o["offer_id"] for o in report["offers"]] == [offer["offer_id"]]
    assert report["session"]["upgrade_views"] == 3

    # The loader lands the offers topic in raw: the history outlives Redis.
    load_until_idle(realtime)
    rows = (
        open_warehouse(realtime)
        .query("SELECT user_id, offer_type, holdout, reason FROM raw.offers ORDER BY user_id")
        .rows
    )
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (10, "premium_trial", False),
        (20, "premium_trial", True),
    ]
    assert rows[0][3] == offer["reason"]
    assert open_warehouse(realtime).raw_counts()["dead_letter"] == 0


def test_a_bad_rules_file_stops_the_start_with_the_reason(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    shipped = get_settings().sessions.rules_path.read_text()
    rules.write_text(shipped.replace("when: {level: free, adverts", "when: {levle: free, adverts"))
    result = subprocess.run(
        [sys.executable, "-m", "backbeat", "sessions"],
        env={**os.environ, "BACKBEAT_SESSIONS_RULES_FILE": str(rules), "COLUMNS": "300"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "unknown feature 'levle'" in result.stderr and str(rules) in result.stderr


def test_redis_outage_delays_decisions_and_a_crash_issues_no_offer_twice(
    realtime: Settings,
) -> None:
    t0 = int(time.time() * 1000) - 30 * MINUTE
    process = start_sessions(realtime)
    try:
        produce(realtime, upgrade_intent(11, t0))
        store = store_of(realtime)
        eventually(lambda: store.offers(11), "an offer for user 11")

        stack.down(realtime, ["redis"])  # Redis goes away while clicks keep coming
        produce(realtime, upgrade_intent(12, t0))
        time.sleep(3)
        assert process.poll() is None  # still running, retrying
        stack.up(realtime, ["redis"])  # empty again: Redis keeps nothing on disk
        (late_offer,) = eventually(lambda: store_of(realtime).offers(12), "an offer for user 12")
        assert late_offer["offer_type"] == "premium_trial"

        time.sleep(2)  # a snapshot or two, then a crash right after new clicks
        produce(realtime, upgrade_intent(13, t0))
        eventually(lambda: store_of(realtime).offers(13), "an offer for user 13")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=PATIENCE_S)
    finally:
        if process.poll() is None:
            process.kill()
    restarted = start_sessions(realtime, exit_when_idle=3)
    _, stderr = restarted.communicate(timeout=PATIENCE_S)
    assert restarted.returncode == 0, stderr[-3000:]

    store = store_of(realtime)
    assert [len(store.offers(user)) for user in (12, 13)] == [1, 1]
    on_topic = offers_on_topic(realtime)
    ids_by_user: dict[int, set[str]] = {}
    for offer in on_topic:
        ids_by_user.setdefault(offer["user_id"], set()).add(offer["offer_id"])
    # Replayed records may resend an offer, never decide a new one: one id per user.
    assert {user: len(ids) for user, ids in ids_by_user.items()} == {11: 1, 12: 1, 13: 1}


def test_one_of_two_sessions_processes_killed_stops_both_and_a_restart_issues_no_offer_twice(
    realtime: Settings,
) -> None:
    """As the loader's processes: Bytewax runs them as one dataflow, so killing one (-9)
    stops the other with an error; restarted, they resume from the last snapshot and every
    user who earned an offer has exactly one, in Redis and on the topic."""
    from backbeat.stack.private import free_port

    t0 = int(time.time() * 1000) - 30 * MINUTE
    users = range(100, 140)
    produce(realtime, [click for user in users for click in upgrade_intent(user, t0)])
    addresses = f"127.0.0.1:{free_port()};127.0.0.1:{free_port()}"
    processes = [cluster_process(realtime, "sessions", k, addresses, None) for k in range(2)]
    store = store_of(realtime)
    eventually(lambda: any(store.offers(user) for user in users), "a first offer")
    os.killpg(processes[0].pid, signal.SIGKILL)
    processes[0].wait()
    _, errors = processes[1].communicate(timeout=PATIENCE_S)
    assert processes[1].returncode not in (0, None)
    assert "start them all again" in errors, errors[-2000:]

    restarted = [cluster_process(realtime, "sessions", k, addresses, 3.0) for k in range(2)]
    for process in restarted:
        _, errors = process.communicate(timeout=PATIENCE_S)
        assert process.returncode == 0, errors[-3000:]
    store = store_of(realtime)
    assert [len(store.offers(user)) for user in users] == [1] * len(users)
    ids_by_user: dict[int, set[str]] = {}
    for offer in offers_on_topic(realtime):
        ids_by_user.setdefault(offer["user_id"], set()).add(offer["offer_id"])
    assert {user: len(ids) for user, ids in ids_by_user.items()} == dict.fromkeys(users, 1)
