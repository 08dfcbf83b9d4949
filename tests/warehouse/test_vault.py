"""Data Vault invariants on a built warehouse: keys resolve to hubs, satellites only record
changes, re-running adds nothing, and arrival order does not change the vault."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from backbeat.emit.sinks import DirectRawSink
from backbeat.events import encode
from backbeat.settings import get_settings, with_overrides
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.warehouse import open_build
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from backbeat.warehouse.models.spec import LAYERS, default_models
from tests.warehouse.conftest import build, duckdb_build

MONDAY = 1_704_067_200_000
DAY_MS = 86_400_000
#: A hash-key column and the hub it must be found in.
HUB_OF = {
    "user_hk": "hub_user",
    "session_hk": "hub_session",
    "song_hk": "hub_song",
    "artist_hk": "hub_artist",
    "page_hk": "hub_page",
    "location_hk": "hub_location",
    "user_agent_hk": "hub_user_agent",
}

Records = list[tuple[str, bytes | None, bytes, int]]  # topic, key, value, event ms


def simulated_records(days: int = 3, users: int = 120, seed: int = 5) -> Records:
    params = SimulationParams(
        start_ms=MONDAY, end_ms=MONDAY + days * DAY_MS, n_users=users, seed=seed
    )
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=400, catalogue_seed=seed))
    return [
        (e.topic, e.key, encode(e.record), e.record.ts)  # type: ignore[attr-defined]
        for e in simulator.events()
    ]


def load(root: Path, records: Records, ingested_ms: int) -> None:
    sink = DirectRawSink(RawParquetWriter(root), ingested_ms=ingested_ms)
    for topic, key, value, _ in records:
        sink.write(topic, key, value)
    sink.close()


def vault_contents(root: Path) -> dict[str, set[tuple[object, ...]]]:
    """Every vault table's rows without load metadata (load_ts, record_source)."""
    warehouse = DuckDBWarehouse(root)
    contents = {}
    for model in default_models().values():
        if model.layer != "vault":
            continue
        columns = [c.name for c in model.columns if c.name not in ("load_ts", "record_source")]
        result = warehouse.query(f"SELECT {', '.join(columns)} FROM {model.full_name}")
        contents[model.name] = set(result.rows)
    return contents


@pytest.fixture(scope="module")
def records() -> Records:
    return simulated_records()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, records: Records) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("vault")
    load(root, records, ingested_ms=MONDAY + 10 * DAY_MS)
    build(root)
    yield root


def test_every_key_resolves_to_its_hub_or_the_ghost(built: Path) -> None:
    warehouse = DuckDBWarehouse(built)
    checked = 0
    for model in default_models().values():
        if model.layer != "vault" or model.name.startswith("hub_"):
            continue
        for column in model.columns:
            hub = HUB_OF.get(column.name)
            if hub is None:
                continue
            (orphans,) = warehouse.query(
                f"SELECT COUNT(*) FROM {model.full_name} AS child WHERE NOT EXISTS "
                f"(SELECT 1 FROM vault.{hub} AS hub WHERE hub.{column.name} = child.{column.name})"
            ).rows[0]
            assert orphans == 0, f"{model.name}.{column.name} has {orphans} keys not in {hub}"
            checked += 1
    assert checked >= 15
    ghosts = warehouse.query(
        "SELECT COUNT(*) FROM vault.t_link_page_view WHERE user_hk = REPEAT('0', 32)"
    ).rows
    assert ghosts[0][0] > 0, "guests' page views should point at the ghost user"


def test_hub_keys_are_unique(built: Path) -> None:
    warehouse = DuckDBWarehouse(built)
    for model in default_models().values():
        if model.layer == "vault" and model.materialized == "incremental":
            keys = ", ".join(model.key)
            (dupes,) = warehouse.query(
                f"SELECT COUNT(*) FROM (SELECT {keys} FROM {model.full_name} "
                f"GROUP BY {keys} HAVING COUNT(*) > 1)"
            ).rows[0]
            assert dupes == 0, model.name


def test_satellites_only_record_changes(built: Path) -> None:
    warehouse = DuckDBWarehouse(built)
    for model in default_models().values():
        if not model.name.startswith("sat_"):
            continue
        parent = model.key[0]
        (repeats,) = warehouse.query(
            f"SELECT COUNT(*) FROM (SELECT hashdiff, LAG(hashdiff) OVER "
            f"(PARTITION BY {parent} ORDER BY effective_from) AS previous FROM {model.full_name}) "
            "WHERE previous = hashdiff"
        ).rows[0]
        assert repeats == 0, model.name
    plans = warehouse.query("SELECT COUNT(*), COUNT(DISTINCT user_hk) FROM vault.eff_sat_user_plan")
    rows, users = plans.rows[0]
    assert rows > users, "someone upgraded or downgraded: the plan history has changes"


def test_building_again_adds_nothing(built: Path) -> None:
    again = build(built)
    added = {r.model: r.rows_added for r in again.runs if r.materialized == "incremental"}
    # Only the freshness of the minutes the first build covered, measured now that it ended.
    assert added.pop("marts.pipeline_freshness") > 0
    assert added and all(n == 0 for n in added.values()), added
    thrice = build(built)
    assert all(r.rows_added == 0 for r in thrice.runs if r.materialized == "incremental")


def test_arrival_order_does_not_change_the_vault(tmp_path: Path, records: Records) -> None:
    in_order = tmp_path / "in_order"
    load(in_order, records, ingested_ms=MONDAY + 10 * DAY_MS)
    build(in_order)

    shuffled = tmp_path / "shuffled"
    mixed = list(records)
    random.Random(3).shuffle(mixed)
    load(shuffled, mixed, ingested_ms=MONDAY + 10 * DAY_MS)
    build(shuffled)
    assert vault_contents(shuffled) == vault_contents(in_order)


def test_late_events_are_picked_up_by_the_next_build(tmp_path: Path, records: Records) -> None:
    root = tmp_path / "late"
    cutoff = MONDAY + 2 * DAY_MS
    on_time = [r for r in records if r[3] < cutoff or r[3] >= cutoff + DAY_MS // 2]
    late = [r for r in records if cutoff <= r[3] < cutoff + DAY_MS // 2]
    assert late and on_time
    load(root, on_time, ingested_ms=MONDAY + 10 * DAY_MS)
    first = build(root)
    load(root, late, ingested_ms=MONDAY + 11 * DAY_MS)  # older events, loaded later
    second = build(root)
    assert second.rows_added("vault.t_link") == sum(
        1
        for topic, *_ in late
        if topic in ("listen_events", "page_view_events", "auth_events", "status_change_events")
    )
    assert second.window.since < second.window.until
    assert first.window.until < second.window.until

    reference = tmp_path / "reference"
    load(reference, records, ingested_ms=MONDAY + 10 * DAY_MS)
    build(reference)
    late_vault, reference_vault = vault_contents(root), vault_contents(reference)
    for table in reference_vault:
        if table.startswith(("hub_", "link_", "t_link_")):
            assert late_vault[table] == reference_vault[table], table
    # Marts rebuilt by partition after the late load equal a build of everything at once.
    for name in (
        "hourly_activity",
        "top_songs_daily",
        "active_users",
        "subscriptions_daily",
        "sessions",
        "artist_royalties_monthly",
    ):
        model = default_models()[f"marts.{name}"]
        sql = f"SELECT * FROM marts.{name} ORDER BY {', '.join(model.key)}"
        assert DuckDBWarehouse(root).query(sql).rows == DuckDBWarehouse(reference).query(sql).rows
    # Every partitioned model rewrote the touched days (the simulation decides no offers
    # and judges no plays: those come from the sessions dataflow).
    partial = [
        r
        for r in second.runs
        if r.materialized == "partitions"
        and r.model not in {"marts.offer_performance", "marts.recommendation_quality_daily"}
    ]
    assert partial and all(r.rows_added > 0 for r in partial)


def test_plays_loaded_before_their_page_views_keep_their_place(
    tmp_path: Path, records: Records
) -> None:
    """Each topic has micro-batches of its own, so a build can read a play before the page
    view that came with it. The play's location and user agent must still be in their hubs
    (listens are a source of both) and the mart row keep its city, as if loaded together."""
    root = tmp_path / "plays_first"
    plays = [r for r in records if r[0] == "listen_events"]
    others = [r for r in records if r[0] != "listen_events"]
    load(root, plays, ingested_ms=MONDAY + 10 * DAY_MS)
    build(root)
    load(root, others, ingested_ms=MONDAY + 11 * DAY_MS)
    build(root)
    together = tmp_path / "together"
    load(together, records, ingested_ms=MONDAY + 10 * DAY_MS)
    build(together)
    sql = (
        "SELECT play_id, user_id, level, artist, song, session_id, city, state "
        "FROM marts.song_plays ORDER BY play_id"
    )
    rows = DuckDBWarehouse(root).query(sql).rows
    assert rows and all(city is not None for *_, city, _ in rows)
    assert rows == DuckDBWarehouse(together).query(sql).rows
    for hub in ("hub_location", "hub_user_agent"):
        assert vault_contents(root)[hub] == vault_contents(together)[hub], hub


def test_a_backfill_rereads_its_dates_and_leaves_the_watermark(
    tmp_path: Path, records: Records
) -> None:
    import shutil
    from datetime import date

    root = tmp_path / "backfill"
    load(root, records, ingested_ms=MONDAY + 10 * DAY_MS)
    build(root)
    builder = duckdb_build(root)
    watermark = builder.store.last_until()
    everything = vault_contents(root)["t_link_play"]
    shutil.rmtree(root / "vault" / "t_link_play")  # as if the model were new: no history yet

    second_day = builder.run(backfill=(date(2024, 1, 2), date(2024, 1, 2)))
    plays = vault_contents(root)["t_link_play"]
    assert plays and {row[7] for row in plays} == {date(2024, 1, 2)}  # played_date
    assert second_day.rows_added("vault.t_link_play") == len(plays)

    builder.run(backfill=(date(2024, 1, 1), date(2024, 1, 31)))
    assert vault_contents(root)["t_link_play"] == everything
    again = builder.run(backfill=(date(2024, 1, 1), date(2024, 1, 31)))
    assert sum(r.rows_added for r in again.runs if r.materialized == "incremental") == 0
    assert builder.store.last_until() == watermark


def test_the_user_pit_points_at_the_plan_in_effect_each_day(built: Path, records: Records) -> None:
    import json
    from datetime import UTC, date, datetime

    levels: dict[int, list[tuple[int, str]]] = {}
    for topic, _, value, ts in records:
        event = json.loads(value)
        if topic == "page_view_events" and "userId" in event:
            levels.setdefault(event["userId"], []).append((ts, event["level"]))
    last_day = max(datetime.fromtimestamp(ts / 1000, UTC).date() for *_, ts in records)
    truth = {}
    for user, seen in levels.items():
        seen.sort()
        first = datetime.fromtimestamp(seen[0][0] / 1000, UTC).date()
        for offset in range((last_day - first).days + 1):
            day = date.fromordinal(first.toordinal() + offset)
            end_ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
            end_ms += DAY_MS
            truth[(user, day)] = [level for ts, level in seen if ts < end_ms][-1]
    found = DuckDBWarehouse(built).query(
        "SELECT hub.user_id, pit.snapshot_date, pit.level FROM vault.pit_user AS pit "
        "JOIN vault.hub_user AS hub ON hub.user_hk = pit.user_hk"
    )
    assert {(u, d): lvl for u, d, lvl in found.rows} == truth
    assert len({lvl for lvl in truth.values()}) == 2


def test_a_build_holds_to_its_memory_limit(tmp_path: Path, records: Records, built: Path) -> None:
    """`BACKBEAT_WAREHOUSE_BUILD_MEMORY_LIMIT` reaches DuckDB: a limit no build fits in fails
    with DuckDB's out-of-memory error; one it fits in builds the same vault as no limit."""

    def limited(name: str, limit: str) -> Path:
        root = tmp_path / name
        load(root, records, ingested_ms=MONDAY + 10 * DAY_MS)
        overrides = {"backend": "duckdb", "dir": root, "build_memory_limit": limit}
        open_build(with_overrides(get_settings(), warehouse=overrides)).run()
        return root

    with pytest.raises(Exception, match="Out of Memory"):
        limited("starved", "1MB")
    fitted = limited("fitted", "128MB")
    assert vault_contents(fitted) == vault_contents(built)  # the same records, no limit


def test_a_backlog_is_built_a_capped_window_at_a_time(tmp_path: Path, records: Records) -> None:
    """Builds after a pause read at most `build_max_window_minutes` of load time each, from the
    first row after their watermark (an idle hour is no build of its own), and together they
    build what one build of everything does."""
    minute = 60_000
    loaded_at = MONDAY + 10 * DAY_MS
    # A backlog arrives in event order, as a stream does (out-of-order arrival is late data,
    # which the late-events test covers).
    ordered = sorted(records, key=lambda r: r[3])
    quarter = len(ordered) // 4 + 1
    parts = [ordered[i * quarter : (i + 1) * quarter] for i in range(4)]
    root = tmp_path / "backlog"
    for part, offset_min in zip(parts, (0, 3, 6, 60), strict=True):
        load(root, part, ingested_ms=loaded_at + offset_min * minute)
    settings = with_overrides(
        get_settings(),
        warehouse={"backend": "duckdb", "dir": root, "build_max_window_minutes": 5},
    )
    reports = [open_build(settings).run() for _ in range(4)]
    untils = [int(r.window.until.timestamp() * 1000) for r in reports]
    # Rows at 0 and 3 (the cap ends at 5), at 6 (capped at 11), at 60; then nothing new.
    assert untils == [loaded_at + m * minute for m in (5, 11, 60, 60)]
    incremental = [r for r in reports[-1].runs if r.materialized == "incremental"]
    assert all(r.rows_added == 0 for r in incremental if r.model.startswith("vault"))

    reference = tmp_path / "reference"
    load(reference, records, ingested_ms=loaded_at)
    build(reference)
    backlog_vault, reference_vault = vault_contents(root), vault_contents(reference)
    for table in reference_vault:
        assert backlog_vault[table] == reference_vault[table], table
    for name in ("hourly_activity", "top_songs_daily", "active_users", "sessions"):
        model = default_models()[f"marts.{name}"]
        sql = f"SELECT * FROM marts.{name} ORDER BY {', '.join(model.key)}"
        assert DuckDBWarehouse(root).query(sql).rows == DuckDBWarehouse(reference).query(sql).rows


def test_a_build_that_died_before_its_record_leaves_song_plays_whole(
    tmp_path: Path, records: Records
) -> None:
    """`marts.song_plays` adds the vault's plays newer than the last *recorded* build and
    dedups only against mart rows newer than it: a build that wrote the mart and died
    before its record must not make the next one add its plays twice, or skip any."""
    half = len(records) // 2
    root = tmp_path / "died"
    load(root, records[:half], ingested_ms=MONDAY + 10 * DAY_MS)
    build(root)
    load(root, records[half:], ingested_ms=MONDAY + 11 * DAY_MS)
    builder = duckdb_build(root)
    with builder.store.lock():
        window = builder.plan()
        died = list(builder.runs(window, LAYERS))  # every model ran; the record never came
    assert sum(r.rows_added for r in died if r.model == "marts.song_plays") > 0
    build(root)
    together = tmp_path / "together"
    load(together, records, ingested_ms=MONDAY + 10 * DAY_MS)
    build(together)
    sql = "SELECT play_id, played_at, user_id, artist, song, city FROM marts.song_plays"
    rows = DuckDBWarehouse(root).query(sql + " ORDER BY play_id").rows
    assert len(rows) == len({row[0] for row in rows})
    assert rows == DuckDBWarehouse(together).query(sql + " ORDER BY play_id").rows


PERIODIC = sorted(m.name for m in default_models().values() if m.refresh == "periodic")


def test_periodic_marts_wait_for_their_period_then_take_every_build_since(
    tmp_path: Path, records: Records
) -> None:
    """A `refresh: periodic` mart is skipped by builds within its period (so builds every
    15 s do not re-read whole days) and, at the first build of the next period, recomputes
    what every build since its last refresh touched: a late day loaded by a deferred build
    is not lost."""
    minute = 60_000
    loaded_at = MONDAY + 10 * DAY_MS  # the start of a 10-minute period
    cutoff = MONDAY + 2 * DAY_MS
    late = [r for r in records if cutoff <= r[3] < cutoff + DAY_MS // 2]
    on_time = [r for r in records if r not in late]
    split = len(on_time) * 9 // 10
    root = tmp_path / "periodic"
    settings = with_overrides(
        get_settings(),
        warehouse={"backend": "duckdb", "dir": root, "build_periodic_refresh_minutes": 10},
    )
    load(root, on_time[:split], ingested_ms=loaded_at)
    first = open_build(settings).run()
    assert {r.model for r in first.runs if r.materialized == "deferred"} == set()

    load(root, late, ingested_ms=loaded_at + 2 * minute)  # old dates, within the period
    builder = open_build(settings)
    assert builder.plan().periodic is None
    assert builder.plan(refresh_all=True).periodic is not None  # `backbeat build` asks it
    deferred = builder.run()
    assert sorted(r.model for r in deferred.runs if r.materialized == "deferred") == [
        f"marts.{name}" for name in PERIODIC
    ]
    assert deferred.rows_added("vault.t_link") > 0  # the rest of the build ran
    ranking = "SELECT * FROM marts.top_songs_daily ORDER BY play_date, rank"
    stale = DuckDBWarehouse(root).query(ranking).rows

    load(root, on_time[split:], ingested_ms=loaded_at + 11 * minute)  # the next period
    refreshed = open_build(settings).run()
    assert not [r for r in refreshed.runs if r.materialized == "deferred"]

    reference = tmp_path / "reference"
    load(reference, records, ingested_ms=loaded_at)
    build(reference)
    for name in PERIODIC:
        model = default_models()[f"marts.{name}"]
        sql = f"SELECT * FROM marts.{name} ORDER BY {', '.join(model.key)}"
        assert DuckDBWarehouse(root).query(sql).rows == DuckDBWarehouse(reference).query(sql).rows
    # The late half day was missing from the ranking until the refresh.
    assert stale != DuckDBWarehouse(reference).query(ranking).rows
