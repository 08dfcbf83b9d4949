"""The dashboard's charts: each one query on the marts (BigQuery dialect, both backends) and
the Plotly figure its rows make. Pure: rows in, figure out; the app does the I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

Rows = Sequence[tuple[Any, ...]]
#: The platform this grew from promised events in the warehouse within one minute.
FRESHNESS_PROMISE_S = 60

_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "height": 360,
    "legend": {"orientation": "h", "y": -0.2},
}


@dataclass(frozen=True)
class Chart:
    """One panel: its id on the page, its title, the query and the figure of its rows."""

    id: str
    title: str
    sql: str
    figure: Callable[[Rows], go.Figure]


def _figure(title: str, traces: list[Any], **layout: Any) -> go.Figure:
    return go.Figure(traces, layout={**_LAYOUT, "title": {"text": title}, **layout})


def hourly_activity(rows: Rows) -> go.Figure:
    hours = [r[0] for r in rows]
    return _figure(
        "Listens and listeners per hour",
        [
            go.Bar(x=hours, y=[r[1] for r in rows], name="plays"),
            go.Scatter(x=hours, y=[r[2] for r in rows], name="distinct listeners", yaxis="y2"),
        ],
        yaxis={"title": {"text": "plays"}},
        yaxis2={"title": {"text": "listeners"}, "overlaying": "y", "side": "right"},
    )


def top_songs(rows: Rows) -> go.Figure:
    ordered = list(reversed(rows))  # best on top of a horizontal bar chart
    labels = [f"{r[0]}: {r[1]}" for r in ordered]
    day = rows[0][3] if rows else ""
    return _figure(
        f"Top songs of {day}",
        [go.Bar(x=[r[2] for r in ordered], y=labels, orientation="h", name="plays")],
        xaxis={"title": {"text": "plays"}},
        yaxis={"automargin": True},
    )


def active_users(rows: Rows) -> go.Figure:
    by_level: dict[str, tuple[list[Any], list[Any]]] = defaultdict(lambda: ([], []))
    for day, level, dau in rows:
        by_level[level][0].append(day)
        by_level[level][1].append(dau)
    return _figure(
        "Daily active users by plan",
        [
            go.Scatter(x=x, y=y, name=level, stackgroup="users")
            for level, (x, y) in by_level.items()
        ],
        yaxis={"title": {"text": "users"}},
    )


def subscriptions(rows: Rows) -> go.Figure:
    days = [r[0] for r in rows]
    moves = [("upgrades", 1), ("downgrades", 2), ("cancellations", 3)]
    return _figure(
        "Plan changes per day, and conversion",
        [
            *(go.Bar(x=days, y=[r[i] for r in rows], name=name) for name, i in moves),
            go.Scatter(
                x=days,
                y=[r[4] for r in rows],
                name="conversion (upgrades / free users)",
                yaxis="y2",
            ),
        ],
        barmode="group",
        yaxis={"title": {"text": "users"}},
        yaxis2={
            "title": {"text": "conversion"},
            "overlaying": "y",
            "side": "right",
            "tickformat": ".1%",
        },
    )


def session_lengths(rows: Rows) -> go.Figure:
    return _figure(
        "Session lengths",
        [go.Histogram(x=[r[0] for r in rows], nbinsx=40, name="sessions")],
        xaxis={"title": {"text": "minutes"}},
        yaxis={"title": {"text": "sessions"}},
    )


def royalties(rows: Rows) -> go.Figure:
    ordered = list(reversed(rows))
    month = rows[0][2] if rows else ""
    return _figure(
        f"Royalties by artist, {month}",
        [go.Bar(x=[r[1] for r in ordered], y=[r[0] for r in ordered], orientation="h")],
        xaxis={"title": {"text": "payout"}},
        yaxis={"automargin": True},
    )


def offer_performance(rows: Rows) -> go.Figure:
    types = [r[0] for r in rows]
    uplift = [f"uplift {r[3]:+.0%}" if r[3] is not None else "" for r in rows]
    return _figure(
        "Offers: conversion, treated vs holdout",
        [
            go.Bar(x=types, y=[r[1] for r in rows], name="treated", text=uplift),
            go.Bar(x=types, y=[r[2] for r in rows], name="holdout"),
        ],
        barmode="group",
        yaxis={"title": {"text": "conversion rate"}, "tickformat": ".0%"},
    )


def recommendation_quality(rows: Rows) -> go.Figure:
    days = [r[0] for r in rows]
    judged = [f"{r[3]:,} plays judged" for r in rows]
    return _figure(
        "Recommendations: hit@10 per day",
        [
            go.Scatter(
                x=days,
                y=[r[1] for r in rows],
                name="recommender",
                mode="lines+markers",
                text=judged,
            ),
            go.Scatter(x=days, y=[r[2] for r in rows], name="most popular", mode="lines+markers"),
        ],
        yaxis={
            "title": {"text": "plays among the 10 served"},
            "tickformat": ".0%",
            "rangemode": "tozero",
        },
    )


def pipeline_freshness(rows: Rows) -> go.Figure:
    """Live lag per minute on a linear axis against the promise; minutes that loaded mostly
    backlog (history, replays: lags of hours or days) are marked on the time axis, not plotted
    on the same scale, so they cannot squash the live seconds out of view."""
    minutes = [r[0] for r in rows]
    # A minute that loaded mostly backlog (a replay, history at start) is marked, not drawn:
    # the rows near its end pass for live (loaded within 300 s of their event) yet are replay.
    backlog = [r for r in rows if 2 * (r[2] or 0) > r[1]]
    live = [r for r in rows if 2 * (r[2] or 0) <= r[1] and (r[3] is not None or r[4] is not None)]
    promise = go.Scatter(
        x=[min(minutes), max(minutes)] if minutes else [],
        y=[FRESHNESS_PROMISE_S] * (2 if minutes else 0),
        name="the one-minute promise",
        mode="lines",
        line={"dash": "dash", "color": "#888"},
    )
    return _figure(
        "Event to raw and to marts, p95 per minute (live)",
        [
            go.Scatter(
                x=[r[0] for r in live], y=[r[3] for r in live], name="event → raw",
                mode="lines+markers",
            ),
            go.Scatter(
                x=[r[0] for r in live], y=[r[4] for r in live], name="event → marts",
                mode="lines+markers",
            ),
            go.Scatter(
                x=[r[0] for r in backlog],
                y=[0] * len(backlog),
                name="backlog loaded (history, replays)",
                mode="markers",
                marker={"symbol": "x", "color": "#b55", "size": 9},
                text=[f"{r[2]:,} of {r[1]:,} events were backlog" for r in backlog],
            ),
            promise,
        ],
        yaxis={"title": {"text": "seconds"}, "rangemode": "tozero"},
    )  # fmt: skip


#: Recent-window charts read the newest days the marts hold, not the clock: replayed history
#: shows as well as live data.
CHARTS: tuple[Chart, ...] = (
    Chart(
        "hourly-activity",
        "Listens per hour",
        """SELECT TIMESTAMP_ADD(TIMESTAMP(activity_date), INTERVAL activity_hour HOUR) AS hour,
                  plays, distinct_listeners
           FROM marts.hourly_activity
           WHERE activity_date > DATE_SUB((SELECT MAX(activity_date) FROM marts.hourly_activity),
                                          INTERVAL 7 DAY)
           ORDER BY hour""",
        hourly_activity,
    ),
    Chart(
        "top-songs",
        "Top songs",
        """SELECT artist, song, plays, play_date FROM marts.top_songs_daily
           WHERE play_date = (SELECT MAX(play_date) FROM marts.top_songs_daily)
           ORDER BY rank LIMIT 10""",
        top_songs,
    ),
    Chart(
        "active-users",
        "Active users by plan",
        "SELECT activity_date, level, dau FROM marts.active_users ORDER BY activity_date, level",
        active_users,
    ),
    Chart(
        "subscriptions",
        "Subscription funnel",
        """SELECT activity_date, upgrades, downgrades, cancellations, conversion_rate
           FROM marts.subscriptions_daily ORDER BY activity_date""",
        subscriptions,
    ),
    Chart(
        "session-lengths",
        "Session lengths",
        """SELECT duration_s / 60 AS minutes FROM marts.sessions
           WHERE session_date > DATE_SUB((SELECT MAX(session_date) FROM marts.sessions),
                                         INTERVAL 7 DAY)""",
        session_lengths,
    ),
    Chart(
        "royalties",
        "Royalties by artist",
        """SELECT artist, payout, FORMAT_DATE('%Y-%m', month) FROM marts.artist_royalties_monthly
           WHERE month = (SELECT MAX(month) FROM marts.artist_royalties_monthly)
           ORDER BY payout DESC, artist LIMIT 15""",
        royalties,
    ),
    Chart(
        "offer-performance",
        "Offer performance",
        """SELECT offer_type,
                  SAFE_DIVIDE(SUM(treated_conversions), SUM(treated)) AS treated_rate,
                  SAFE_DIVIDE(SUM(holdout_conversions), SUM(holdout)) AS holdout_rate,
                  SAFE_DIVIDE(SUM(treated_conversions), SUM(treated))
                    - SAFE_DIVIDE(SUM(holdout_conversions), SUM(holdout)) AS uplift
           FROM marts.offer_performance GROUP BY offer_type ORDER BY offer_type""",
        offer_performance,
    ),
    Chart(
        "recommendation-quality",
        "Recommendation quality",
        """SELECT play_date, recommender_hit_rate, popularity_hit_rate, plays_judged
           FROM marts.recommendation_quality_daily ORDER BY play_date""",
        recommendation_quality,
    ),
    Chart(
        "pipeline-freshness",
        "Pipeline freshness",
        # The slowest topic of each minute: the promise holds only if it holds for all.
        """SELECT minute, SUM(events) AS events, SUM(backlog_events) AS backlog_events,
                  MAX(event_to_raw_p95_s) AS event_to_raw_p95_s,
                  MAX(event_to_mart_p95_s) AS event_to_mart_p95_s
           FROM marts.pipeline_freshness
           WHERE minute >= TIMESTAMP_SUB((SELECT MAX(minute) FROM marts.pipeline_freshness),
                                         INTERVAL 6 HOUR)
           GROUP BY minute ORDER BY minute""",
        pipeline_freshness,
    ),
)
