"""The dashboard's figures and page from literal rows: no server, no browser."""

from __future__ import annotations

import datetime as dt
import json

from backbeat.dashboard.charts import (
    CHARTS,
    FRESHNESS_PROMISE_S,
    offer_performance,
    pipeline_freshness,
)
from backbeat.dashboard.page import Panel, render_page


def test_every_chart_has_a_unique_id_and_a_query_on_the_marts() -> None:
    ids = [c.id for c in CHARTS]
    assert len(ids) == len(set(ids)) == 9
    assert all("marts." in c.sql for c in CHARTS)


def test_offer_performance_shows_both_groups_and_the_uplift() -> None:
    figure = offer_performance(
        [("premium_trial", 0.8, 0.1, 0.7), ("apology_credit", 0.3, None, None)]
    )
    treated, holdout = figure.data
    assert (treated.name, holdout.name) == ("treated", "holdout")
    assert list(treated.y) == [0.8, 0.3] and list(holdout.y) == [0.1, None]
    assert list(treated.text) == ["uplift +70%", ""]


def test_freshness_draws_live_lags_linearly_and_marks_backlog_minutes() -> None:
    first = dt.datetime(2026, 12, 1, 7, tzinfo=dt.UTC)
    second = first + dt.timedelta(minutes=1)
    third = second + dt.timedelta(minutes=1)
    figure = pipeline_freshness(
        [
            (first, 5_000, 4_000, 290.0, 300.0),  # mostly history: its "live" tail is replay
            (second, 300, 0, 2.5, 21.0),
            (third, 300, 10, 2.0, 19.0),  # a few late events do not hide a live minute
        ]
    )
    raw, marts, backlog, promise = figure.data
    assert (raw.name, marts.name) == ("event → raw", "event → marts")
    assert list(raw.x) == [second, third] and list(raw.y) == [2.5, 2.0]
    assert list(marts.y) == [21.0, 19.0]
    assert list(backlog.x) == [first] and list(backlog.y) == [0]
    assert list(backlog.text) == ["4,000 of 5,000 events were backlog"]
    assert promise.name == "the one-minute promise"
    assert list(promise.y) == [FRESHNESS_PROMISE_S] * 2
    assert figure.layout.yaxis.type != "log"


def test_the_page_embeds_figures_safely_and_says_what_is_missing() -> None:
    evil = json.dumps({"data": [{"type": "bar", "name": "</script><b>x"}], "layout": {}})
    page = render_page(
        [Panel("a", "A", evil, rows=3), Panel("b", "B <empty>", problem="B: no data yet")],
        "sub",
    )
    assert "</script><b>" not in page and "<\\/script><b>x" in page
    assert 'data-chart="a" data-rows="3"' in page
    assert '<p class="problem">B: no data yet</p>' in page and "B &lt;empty&gt;" in page
    assert '<script src="/plotly.min.js">' in page and "cdn" not in page.lower()
