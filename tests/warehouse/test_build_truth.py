"""The marts against an independent truth: the same figures computed in plain Python from the
input events (not from the warehouse, not with SQL), on real Sparkify data and on a
fixed-seed simulation. Then the vault's invariants on what was built."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backbeat.emit.runs import run_replay
from backbeat.emit.sinks import DirectRawSink
from backbeat.events import encode
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.warehouse.build import BuildReport
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from tests.warehouse.conftest import build

MONDAY = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def repaired(text: str | None) -> str | None:
    """eventsim's mojibake undone in Python: Latin-1 bytes read as UTF-8, at most twice."""
    for _ in range(2):
        if text is None:
            return None
        try:
            fixed = text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            break
        if fixed == text:
            break
        text = fixed
    return text


@dataclass(frozen=True)
class Event:
    """What the truth needs of one event, whatever format it came in."""

    ts_ms: int
    user_id: int | None
    session_id: int
    page: str
    level: str
    artist: str | None
    song: str | None

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.ts_ms / 1000, UTC)


def rows(root: Path, sql: str) -> list[tuple[Any, ...]]:
    return DuckDBWarehouse(root).query(sql).rows


def sparkify_events(folder: Path) -> list[Event]:
    events = []
    for path in sorted(folder.rglob("*.json")):
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            events.append(
                Event(
                    record["ts"],
                    int(record["userId"]) if record["userId"] else None,
                    record["sessionId"],
                    record["page"],
                    record["level"],
                    repaired(record["artist"]),
                    repaired(record["song"]),
                )
            )
    return events


@pytest.fixture(scope="module")
def sparkify(tmp_path_factory: pytest.TempPathFactory, eventsim_real: Path) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("sparkify")
    folder = eventsim_real / "sparkify_dend_log_data"
    run_replay([folder], DirectRawSink(RawParquetWriter(root)))
    report = build(root)
    yield root, sparkify_events(folder), report


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("simulated")
    params = SimulationParams(start_ms=MONDAY, end_ms=MONDAY + 3 * 86_400_000, n_users=150, seed=8)
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=500, catalogue_seed=8))
    sink = DirectRawSink(RawParquetWriter(root))
    events = []
    for simulated_event in simulator.events():
        record = simulated_event.record
        sink.write(simulated_event.topic, simulated_event.key, encode(record))
        if simulated_event.topic == "page_view_events":
            user = getattr(record, "user_id", None)
            events.append(
                Event(
                    record.ts,  # type: ignore[attr-defined]
                    user if isinstance(user, int) else None,
                    record.session_id,  # type: ignore[attr-defined]
                    record.page,  # type: ignore[attr-defined]
                    record.level,  # type: ignore[attr-defined]
                    repaired(a) if isinstance(a := getattr(record, "artist", None), str) else None,
                    repaired(s) if isinstance(s := getattr(record, "song", None), str) else None,
                )
            )
    sink.close()
    yield root, events, build(root)


DATASETS = ["sparkify", "simulated"]


def _dataset(request: pytest.FixtureRequest, name: str) -> tuple[Path, list[Event], BuildReport]:
    root, events, report = request.getfixturevalue(name)
    assert len(events) > 1000, "the dataset is too small to prove anything"
    return root, events, report


def plays(events: Iterable[Event]) -> list[Event]:
    return [e for e in events if e.page == "NextSong"]


@pytest.mark.parametrize("name", DATASETS)
def test_plays_per_hour(request: pytest.FixtureRequest, name: str) -> None:
    root, events, _ = _dataset(request, name)
    truth = Counter((e.at.date(), e.at.hour) for e in plays(events))
    found = {
        (d, h): n
        for d, h, n in rows(
            root, "SELECT activity_date, activity_hour, plays FROM marts.hourly_activity"
        )
        if n
    }
    assert found == dict(truth)
    page_views = Counter((e.at.date(), e.at.hour) for e in events)
    found_views = rows(
        root, "SELECT activity_date, activity_hour, page_views FROM marts.hourly_activity"
    )
    assert {(d, h): n for d, h, n in found_views} == dict(page_views)


@pytest.mark.parametrize("name", DATASETS)
def test_distinct_users_per_day_and_level(request: pytest.FixtureRequest, name: str) -> None:
    root, events, _ = _dataset(request, name)
    users: dict[tuple[date, str], set[int]] = defaultdict(set)
    for e in events:
        if e.user_id is not None:
            users[(e.at.date(), e.level)].add(e.user_id)
    found = {
        (d, lvl): n
        for d, lvl, n in rows(root, "SELECT activity_date, level, dau FROM marts.active_users")
    }
    assert found == {key: len(ids) for key, ids in users.items()}
    # wau: the 7 days ending that day
    some_day, some_level = max(users)
    week = set().union(
        *(users.get((some_day - timedelta(days=k), some_level), set()) for k in range(7))
    )
    (wau,) = rows(
        root,
        f"SELECT wau FROM marts.active_users WHERE activity_date = DATE '{some_day}' "
        f"AND level = '{some_level}'",
    )[0]
    assert wau == len(week)


@pytest.mark.parametrize("name", DATASETS)
def test_top_ten_songs_per_day(request: pytest.FixtureRequest, name: str) -> None:
    root, events, _ = _dataset(request, name)
    listeners: dict[tuple[date, str, str], set[int]] = defaultdict(set)
    counts: Counter[tuple[date, str, str]] = Counter()
    for e in plays(events):
        key = (e.at.date(), e.artist or "", e.song or "")
        listeners[key].add(e.user_id or -1)
        counts[key] += 1
    truth = []
    for day in sorted({k[0] for k in counts}):
        day_keys = [k for k in counts if k[0] == day]
        day_keys.sort(key=lambda k: (-len(listeners[k]), -counts[k], k[1], k[2]))
        for rank, key in enumerate(day_keys[:10], start=1):
            truth.append((day, rank, key[1], key[2], len(listeners[key]), counts[key]))
    found = rows(
        root,
        "SELECT play_date, rank, artist, song, distinct_listeners, plays "
        "FROM marts.top_songs_daily ORDER BY play_date, rank",
    )
    assert found == truth


@pytest.mark.parametrize("name", DATASETS)
def test_upgrades_and_downgrades_per_day(request: pytest.FixtureRequest, name: str) -> None:
    root, events, _ = _dataset(request, name)
    upgrades = Counter(e.at.date() for e in events if e.page == "Submit Upgrade")
    downgrades = Counter(e.at.date() for e in events if e.page == "Submit Downgrade")
    cancels = Counter(e.at.date() for e in events if e.page == "Cancellation Confirmation")
    found = rows(
        root,
        "SELECT activity_date, upgrades, downgrades, cancellations FROM marts.subscriptions_daily",
    )
    assert {d: u for d, u, _, _ in found if u} == dict(upgrades)
    assert {d: n for d, _, n, _ in found if n} == dict(downgrades)
    assert {d: c for d, _, _, c in found if c} == dict(cancels)
    assert sum(upgrades.values()) + sum(downgrades.values()) > 0, "nothing to compare"


@pytest.mark.parametrize("name", DATASETS)
def test_sessions_and_their_durations(request: pytest.FixtureRequest, name: str) -> None:
    root, events, _ = _dataset(request, name)
    spans: dict[int, list[int]] = defaultdict(list)
    for e in events:
        spans[e.session_id].append(e.ts_ms)
    truth = {
        sid: (min(ts) // 1000, max(ts) // 1000, (max(ts) - min(ts)) // 1000, len(ts))
        for sid, ts in spans.items()
    }
    found = {
        sid: (int(start.timestamp()), int(end.timestamp()), duration, n)
        for sid, start, end, duration, n in rows(
            root, "SELECT session_id, started_at, ended_at, duration_s, events FROM marts.sessions"
        )
    }
    assert found == truth


@pytest.mark.parametrize("name", DATASETS)
def test_song_plays_has_one_row_per_play(request: pytest.FixtureRequest, name: str) -> None:
    root, events, _ = _dataset(request, name)
    ((count, distinct),) = rows(
        root, "SELECT COUNT(*), COUNT(DISTINCT play_id) FROM marts.song_plays"
    )
    assert count == distinct == len(plays(events))
