"""The satellite template against its rule, spelled per event in Python: a row each time the
payload differs from the one before it in event time, one payload per instant where asked.

The template only looks at every event of a parent whose payloads interleave (a payload that
comes back, two at one instant, an event older than a stored change); other parents are read at
the instants their payloads begin. Random histories split into several builds, with few
distinct times and payloads, make both kinds common.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from backbeat.warehouse.dialect import to_duckdb_sql
from backbeat.warehouse.models.render import render, typed
from backbeat.warehouse.models.spec import load_models

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SOURCES = ("listen_events", "page_view_events")
Event = tuple[str, str, datetime, int, str]  # parent, level, at, item, source
Row = tuple[str, str, datetime, str, str]  # parent, hashdiff, effective_from, level, source

STAGING = """/* ---
name: staging.observations
grain: one per raw row
materialized: ephemeral
--- */
SELECT * FROM raw.observations
"""
SATELLITE = """name: vault.sat_thing_level
grain: one row per thing per change of level
key: [thing_hk, effective_from]
columns:
  thing_hk: {type: STRING, doc: the thing}
  hashdiff: {type: STRING, doc: MD5 of the level}
  effective_from: {type: TIMESTAMP, doc: first event at this level}
  level: {type: STRING, doc: the level}
  load_ts: {type: TIMESTAMP, doc: load}
  record_source: {type: STRING, doc: source}
sat:
  payload: [level]
  hashdiff: [level]
  sources:
    - {model: staging.observations, at: seen_at, where: "record_source = 'listen_events'"}
    - {model: staging.observations, at: seen_at, where: "record_source = 'page_view_events'"}
"""


def _hashdiff(level: str) -> str:
    return hashlib.md5(level.encode()).hexdigest()


def reference_build(stored: list[Row], events: list[Event], one_per_instant: bool) -> list[Row]:
    """The rows one build adds, event by event (what the template computed before it learned
    to skip the events inside a payload's span)."""
    candidates = [(p, _hashdiff(lv), at, lv, src, item) for p, lv, at, item, src in events]
    if one_per_instant:
        held = {(r[0], r[2]) for r in stored}
        best: dict[tuple[str, datetime], tuple[str, str, datetime, str, str, int]] = {}
        for c in candidates:
            if (c[0], c[2]) in held:
                continue
            rank = (-c[5], c[1], c[4])
            kept = best.get((c[0], c[2]))
            if kept is None or rank < (-kept[5], kept[1], kept[4]):
                best[(c[0], c[2])] = c
        candidates = list(best.values())
    added = []
    for parent in {c[0] for c in candidates}:
        timeline = [(r[2], False, r[1], r[4], r) for r in stored if r[0] == parent]
        timeline += [(c[2], True, c[1], c[4], c[:5]) for c in candidates if c[0] == parent]
        timeline.sort(key=lambda t: t[:4])
        previous = None
        for _, is_new, hashdiff, _, row in timeline:
            if is_new and hashdiff != previous:
                added.append(row)
            previous = hashdiff
    return added


def random_history(rng: random.Random) -> list[list[Event]]:
    """Events of a few things in a few builds: few instants and levels, so payloads come
    back, share an instant, and arrive after a later change was stored."""
    things = [f"thing{i}" for i in range(rng.randint(1, 6))]
    events = []
    for thing in things:
        level = rng.choice("ab")
        for item in range(rng.randint(1, 12)):
            if rng.random() < 0.25:
                level = rng.choice("abc")
            at = T0 + timedelta(seconds=rng.randint(0, 15))
            events.append((thing, level, at, item, rng.choice(SOURCES)))
    builds: list[list[Event]] = [[] for _ in range(rng.randint(1, 3))]
    for event in events:
        rng.choice(builds).append(event)
    return builds


@pytest.fixture(scope="module")
def satellites(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, str]:
    """The template rendered for DuckDB, without and with one payload per instant."""
    rendered = {}
    for one_per_instant in (False, True):
        root = tmp_path_factory.mktemp("satellite")
        (root / "staging").mkdir()
        (root / "vault").mkdir()
        (root / "staging" / "observations.sql").write_text(STAGING)
        declaration = SATELLITE + ("  one_per_instant_by: item\n" if one_per_instant else "")
        (root / "vault" / "sat_thing_level.yml").write_text(declaration)
        models = load_models(root)
        model = models["vault.sat_thing_level"]
        tree = typed(model, render(model, models, frozenset({"observations"})))
        rendered[one_per_instant] = to_duckdb_sql(tree)
    return rendered


@pytest.mark.parametrize("one_per_instant", [False, True])
def test_the_satellite_records_what_the_per_event_rule_records(
    satellites: dict[bool, str], one_per_instant: bool
) -> None:
    sql = satellites[one_per_instant]
    rng = random.Random(17)
    for _ in range(80):
        history = random_history(rng)
        with duckdb.connect() as db:
            db.execute("SET TimeZone = 'UTC'")
            db.execute("CREATE SCHEMA staging; CREATE SCHEMA vault")
            db.execute(
                "CREATE TABLE vault.sat_thing_level (thing_hk VARCHAR, hashdiff VARCHAR, "
                "effective_from TIMESTAMPTZ, level VARCHAR, load_ts TIMESTAMPTZ, "
                "record_source VARCHAR)"
            )
            expected: list[Row] = []
            for events in history:
                db.execute(
                    "CREATE OR REPLACE TABLE staging.observations (thing_hk VARCHAR, "
                    "level VARCHAR, seen_at TIMESTAMPTZ, item BIGINT, record_source VARCHAR)"
                )
                if events:
                    db.executemany(
                        "INSERT INTO staging.observations VALUES (?, ?, ?, ?, ?)", events
                    )
                expected += reference_build(expected, events, one_per_instant)
                db.execute(f"INSERT INTO vault.sat_thing_level {sql}", {"load_ts": T0})
            stored = db.execute(
                "SELECT thing_hk, hashdiff, effective_from, level, record_source "
                "FROM vault.sat_thing_level"
            ).fetchall()
        assert sorted(stored) == sorted(expected), history
