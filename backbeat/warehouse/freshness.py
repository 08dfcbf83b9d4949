"""How fresh raw and the marts are, measured from the rows themselves, per topic.

Every raw row carries three times: `ts` (the event), `_kafka_ts` (when Kafka got it) and
`_ingested_at` (when its micro-batch was handed to the warehouse); the build log adds a
fourth, when the first build that read the row finished (its rows were then in the vault and
the marts). The lags between them are the "within a minute" promise, measured rather than
assumed. One query, BigQuery's dialect, so it runs on both backends. (The loader's
`/metrics` adds the time until the batch was queryable:
`backbeat_loader_event_to_warehouse_seconds`.)
"""

from __future__ import annotations

from backbeat.kafka.topics import EVENT_TOPICS
from backbeat.warehouse.models.spec import BUILD_LOG

#: When a raw row reached the marts: the end of the first finished build whose watermark
#: reached its `_ingested_at` (NULL while no build has read it yet).
IN_MARTS_AT = (
    f"(SELECT MIN(b.finished_at) FROM {BUILD_LOG} AS b "
    "WHERE b.until >= r._ingested_at AND b.finished_at IS NOT NULL)"
)


def _quantile(diff: str, percent: int, safe: bool = False) -> str:
    """A percentile in seconds; `safe` where every value may be NULL (no row built yet)."""
    offset = "SAFE_OFFSET" if safe else "OFFSET"
    return f"APPROX_QUANTILES({diff}, 100)[{offset}({percent})] / 1000"


def freshness_sql(since_minutes: int, events_from_ms: int | None = None) -> str:
    """Lag percentiles per raw table over rows ingested in the last `since_minutes` (and,
    with `events_from_ms`, only events from that time on: a live part after a backfill):
    produce -> raw, event -> raw, and event -> mart over the rows a build has read."""
    if since_minutes <= 0:
        raise ValueError("since_minutes must be positive")
    live = "" if events_from_ms is None else f" AND r.ts >= TIMESTAMP_MILLIS({int(events_from_ms)})"
    produce = "TIMESTAMP_DIFF(_ingested_at, _kafka_ts, MILLISECOND)"
    event = "TIMESTAMP_DIFF(_ingested_at, ts, MILLISECOND)"
    mart = "TIMESTAMP_DIFF(in_marts_at, ts, MILLISECOND)"
    parts = [
        f"SELECT 'raw.{topic}' AS `table`, COUNT(*) AS `rows`, "
        f"{_quantile(produce, 50)} AS produce_to_raw_p50_s, "
        f"{_quantile(produce, 95)} AS produce_to_raw_p95_s, "
        f"MAX({produce}) / 1000 AS produce_to_raw_max_s, "
        f"{_quantile(event, 50)} AS event_to_raw_p50_s, "
        f"{_quantile(event, 95)} AS event_to_raw_p95_s, "
        "COUNTIF(in_marts_at IS NOT NULL) AS rows_in_marts, "
        f"{_quantile(mart, 50, safe=True)} AS event_to_mart_p50_s, "
        f"{_quantile(mart, 95, safe=True)} AS event_to_mart_p95_s "
        f"FROM (SELECT r.*, {IN_MARTS_AT} AS in_marts_at FROM raw.{topic} AS r "
        f"WHERE r._ingested_at >= "
        f"TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {since_minutes} MINUTE){live})"
        for topic in EVENT_TOPICS
    ]
    return " UNION ALL ".join(parts)
