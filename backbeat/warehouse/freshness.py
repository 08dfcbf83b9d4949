"""How fresh the raw tables are, measured from the rows themselves, per topic.

Every raw row carries three times: `ts` (the event), `_kafka_ts` (when Kafka got it) and
`_ingested_at` (when its micro-batch was handed to the warehouse). The lags between them are
the "within a minute" promise, measured rather than assumed. One query, BigQuery's dialect,
so it runs on both backends. (The loader's `/metrics` adds the time until the batch was
queryable: `backbeat_loader_event_to_warehouse_seconds`.)
"""

from __future__ import annotations

from backbeat.kafka.topics import EVENT_TOPICS


def _quantile(diff: str, percent: int) -> str:
    return f"APPROX_QUANTILES({diff}, 100)[OFFSET({percent})] / 1000"


def freshness_sql(since_minutes: int, events_from_ms: int | None = None) -> str:
    """Lag percentiles per raw table over rows ingested in the last `since_minutes` (and,
    with `events_from_ms`, only events from that time on: a live part after a backfill)."""
    if since_minutes <= 0:
        raise ValueError("since_minutes must be positive")
    live = "" if events_from_ms is None else f" AND ts >= TIMESTAMP_MILLIS({int(events_from_ms)})"
    produce = "TIMESTAMP_DIFF(_ingested_at, _kafka_ts, MILLISECOND)"
    event = "TIMESTAMP_DIFF(_ingested_at, ts, MILLISECOND)"
    parts = [
        f"SELECT 'raw.{topic}' AS `table`, COUNT(*) AS `rows`, "
        f"{_quantile(produce, 50)} AS produce_to_raw_p50_s, "
        f"{_quantile(produce, 95)} AS produce_to_raw_p95_s, "
        f"MAX({produce}) / 1000 AS produce_to_raw_max_s, "
        f"{_quantile(event, 50)} AS event_to_raw_p50_s, "
        f"{_quantile(event, 95)} AS event_to_raw_p95_s "
        f"FROM raw.{topic} "
        f"WHERE _ingested_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {since_minutes} MINUTE)"
        f"{live}"
        for topic in EVENT_TOPICS
    ]
    return " UNION ALL ".join(parts)
