"""marts.offer_performance against figures worked out here in plain Python from the same
hand-made story: offers to treated and holdout users, what they did with them in the
app, and the plan changes that followed (or came too late)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from tests.warehouse.conftest import build
from tests.warehouse.offer_story import CONVERSION_DAYS, DAY, JUDGED, STORIES, T, raw_rows


def _expected() -> dict[str, dict[str, object]]:
    """The mart's figures for the day, worked out from STORIES directly."""
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for story in STORIES:
        within = [before for days, before in story.changes if days <= CONVERSION_DAYS]
        if story.offer_type == "premium_trial":
            converted = "free" in within
        else:
            converted = "paid" not in within
        arm = "holdout" if story.holdout else "treated"
        row = found[story.offer_type]
        row["decided"] += 1
        row[arm] += 1
        row[f"{arm}_conversions"] += converted
        if not story.holdout:
            row["shown"] += "impression" in story.reactions
            row["accepted"] += "accept" in story.reactions
    result: dict[str, dict[str, object]] = {}
    for offer_type, row in found.items():
        treated_rate = row["treated_conversions"] / row["treated"]
        holdout_rate = row["holdout_conversions"] / row["holdout"]
        result[offer_type] = {
            **row,
            "treated_rate": treated_rate,
            "holdout_rate": holdout_rate,
            "uplift": treated_rate - holdout_rate,
        }
    return result


def test_offer_performance_matches_the_story(tmp_path: Path) -> None:
    RawParquetWriter(tmp_path).write(raw_rows(), ingested_ms=T + 20 * DAY)
    build(tmp_path)
    columns = [
        "decided",
        "treated",
        "shown",
        "accepted",
        "treated_conversions",
        "holdout",
        "holdout_conversions",
        "treated_rate",
        "holdout_rate",
        "uplift",
    ]
    result = DuckDBWarehouse(tmp_path).query(
        f"SELECT decided_date, offer_type, {', '.join(columns)} FROM marts.offer_performance"
    )
    day = datetime.fromtimestamp(T / 1000, UTC).date()
    found = {row[1]: dict(zip(columns, row[2:], strict=True)) for row in result.rows}
    assert {row[0] for row in result.rows} == {day}
    expected = _expected()
    assert set(found) == set(expected)
    for offer_type, figures in expected.items():
        for column in columns:
            assert found[offer_type][column] == pytest.approx(figures[column]), (
                offer_type,
                column,
            )
    # The story shows both: trials convert no better than the holdout (1/2 vs 1/2); half the
    # treated paid users stayed, no holdout one did.
    assert expected["premium_trial"]["uplift"] == 0
    assert expected["retention_discount"]["uplift"] == 0.5


def test_recommendation_quality_matches_the_judged_plays(tmp_path: Path) -> None:
    RawParquetWriter(tmp_path).write(raw_rows(), ingested_ms=T + 20 * DAY)
    build(tmp_path)
    rows = (
        DuckDBWarehouse(tmp_path)
        .query(
            """SELECT plays_judged, recommender_hits, popularity_hits, recommender_hit_rate,
                  popularity_hit_rate, ratio, served_popularity
           FROM marts.recommendation_quality_daily ORDER BY play_date"""
        )
        .rows
    )
    expected = []
    for day in (0, 1):
        plays = [j for j in JUDGED if j[1] == day]
        rec, pop = sum(j[2] for j in plays), sum(j[3] for j in plays)
        served = sum(j[4] == "popularity" for j in plays)
        expected.append(
            (len(plays), rec, pop, rec / len(plays), pop / len(plays), rec / pop, served)
        )
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        assert tuple(row) == pytest.approx(want)
