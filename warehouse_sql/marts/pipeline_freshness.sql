/* ---
name: marts.pipeline_freshness
grain: one row per minute (UTC, of loading) and event topic
key: [minute, topic]
materialized: partitions
partition_by: minute_date
description: >
  Recomputed for the days of loading a build's window touched (a minute's percentiles need
  all of its rows, and one minute's micro-batches can span two builds), from raw directly:
  this measures the loader, not the vault. The "within a minute" promise, measured: for the
  rows loaded in each minute, how long after their event time (eventsim ts) they were handed
  to the warehouse. Backfills show large lags.
columns:
  minute: {type: TIMESTAMP, doc: the minute the rows were loaded (_ingested_at)}
  minute_date: {type: DATE, doc: UTC date of minute}
  topic: {type: STRING, doc: the Kafka topic}
  events: {type: INT64, doc: rows loaded in that minute}
  lag_p50_s: {type: FLOAT64, doc: "median of _ingested_at - ts, seconds"}
  lag_p95_s: {type: FLOAT64, doc: 95th percentile of the same}
  lag_max_s: {type: FLOAT64, doc: largest of the same}
--- */
-- The whole days of loading that the build's window touched (bounds on the column itself,
-- so Parquet min/max statistics and BigQuery's partitions prune the rest of raw).
WITH loaded AS (
  SELECT _topic AS topic, _ingested_at, TIMESTAMP_DIFF(_ingested_at, ts, MILLISECOND) AS lag_ms FROM raw.listen_events
  UNION ALL
  SELECT _topic, _ingested_at, TIMESTAMP_DIFF(_ingested_at, ts, MILLISECOND) FROM raw.page_view_events
  UNION ALL
  SELECT _topic, _ingested_at, TIMESTAMP_DIFF(_ingested_at, ts, MILLISECOND) FROM raw.auth_events
  UNION ALL
  SELECT _topic, _ingested_at, TIMESTAMP_DIFF(_ingested_at, ts, MILLISECOND) FROM raw.status_change_events
)
SELECT
  TIMESTAMP_TRUNC(_ingested_at, MINUTE) AS minute,
  DATE(TIMESTAMP_TRUNC(_ingested_at, MINUTE)) AS minute_date,
  topic,
  COUNT(*) AS events,
  APPROX_QUANTILES(lag_ms, 100)[OFFSET(50)] / 1000 AS lag_p50_s,
  APPROX_QUANTILES(lag_ms, 100)[OFFSET(95)] / 1000 AS lag_p95_s,
  MAX(lag_ms) / 1000 AS lag_max_s
FROM loaded
WHERE _ingested_at >= TIMESTAMP_TRUNC(@since, DAY)
  AND _ingested_at < TIMESTAMP_ADD(TIMESTAMP_TRUNC(@until, DAY), INTERVAL 1 DAY)
GROUP BY 1, 2, 3
