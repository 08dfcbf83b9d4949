/* ---
name: marts.pipeline_freshness
grain: one row per minute (UTC, of loading) and event topic
key: [minute, topic]
materialized: incremental
partition_by: minute_date
description: >
  The "within a minute" promise and the marts' own lag, measured from the rows themselves: for
  the rows the loader handed to the warehouse in each minute, how long after their event time
  (eventsim ts) they reached raw, and how long until a finished build had them in the vault
  and marts (the first build whose window reaches the row's _ingested_at, from
  vault.build_log). A minute is added once a finished build began more than 15 s after it
  ended, so each build adds the minutes its predecessors covered and recomputes nothing.
  Rows loaded more than 300 s after their event time (or before it: clocks that disagree)
  are backlog (history, replays, a loader catching up): counted in backlog_events and left
  out of the event_to_* percentiles, which describe live traffic.
columns:
  minute: {type: TIMESTAMP, doc: the minute the rows were loaded (_ingested_at)}
  minute_date: {type: DATE, doc: UTC date of minute}
  topic: {type: STRING, doc: the Kafka topic}
  events: {type: INT64, doc: rows loaded in that minute}
  lag_p50_s: {type: FLOAT64, doc: "median of _ingested_at - ts over every row, seconds"}
  lag_p95_s: {type: FLOAT64, doc: 95th percentile of the same}
  lag_max_s: {type: FLOAT64, doc: largest of the same}
  backlog_events: {type: INT64, doc: "rows loaded more than 300 s after (or before) their event time"}
  event_to_raw_p50_s: {type: FLOAT64, doc: "median of _ingested_at - ts over the live rows (the others), seconds"}
  event_to_raw_p95_s: {type: FLOAT64, doc: 95th percentile of the same}
  event_to_mart_p50_s: {type: FLOAT64, doc: "median of (end of the first build that covered the row) - ts over the live rows, seconds"}
  event_to_mart_p95_s: {type: FLOAT64, doc: 95th percentile of the same}
--- */
-- Builds by the watermark they reached; of builds that found nothing new (same `until`),
-- the first to finish is the one that brought the rows. Only the builds of the last two hours
-- before the window: the rows measured are never older than an hour before it (new_rows), so
-- an older build cannot be the first to reach one, and the build log (four builds a minute,
-- for ever) is never read whole. The oldest build kept stands in for the first build ever:
-- every row it reached is newer than its predecessor's watermark.
WITH finished AS (
  SELECT until, MIN(finished_at) AS finished_at, MAX(load_ts) AS load_ts
  FROM vault.build_log
  WHERE finished_at IS NOT NULL AND until >= TIMESTAMP_SUB(@since, INTERVAL 2 HOUR)
  GROUP BY until
),
builds AS (
  SELECT load_ts, until, finished_at, LAG(until) OVER (ORDER BY until) AS reach_from
  FROM finished
),
-- The minutes to add: after the newest one stored, and ended 15 s before the newest finished
-- build began (a micro-batch is stamped just before it is written: the margin makes sure a
-- minute's rows were all there for a finished build to read).
bounds AS (
  SELECT
    COALESCE(
      TIMESTAMP_ADD(
        (
          SELECT MAX(minute) FROM marts.pipeline_freshness
          WHERE minute_date >= DATE(TIMESTAMP_SUB(@since, INTERVAL 2 HOUR))
        ),
        INTERVAL 1 MINUTE
      ),
      TIMESTAMP '1970-01-01 00:00:00+00'
    ) AS first_minute,
    TIMESTAMP_TRUNC(
      TIMESTAMP_SUB((SELECT MAX(load_ts) FROM builds), INTERVAL 15 SECOND), MINUTE
    ) AS end_minute
),
loaded AS (
  SELECT _topic AS topic, _ingested_at, ts FROM raw.listen_events
  UNION ALL
  SELECT _topic, _ingested_at, ts FROM raw.page_view_events
  UNION ALL
  SELECT _topic, _ingested_at, ts FROM raw.auth_events
  UNION ALL
  SELECT _topic, _ingested_at, ts FROM raw.status_change_events
),
-- The window's own bound first (a parameter: Parquet statistics and partitions prune by it):
-- a minute not yet added is never older than the last watermark less the overlap, so an hour
-- before `since` is a safe floor.
new_rows AS (
  SELECT loaded.* FROM loaded
  WHERE _ingested_at >= TIMESTAMP_SUB(@since, INTERVAL 1 HOUR)
    AND _ingested_at >= (SELECT first_minute FROM bounds)
    AND _ingested_at < (SELECT end_minute FROM bounds)
),
-- Each build's reach (reach_from, until] split into the minutes it touches, so a row finds its
-- build by an equality on the minute (one join candidate per build in that minute) instead
-- of a range join against every build.
build_minutes AS (
  SELECT minute, reach_from, until, finished_at
  FROM builds
  CROSS JOIN UNNEST(GENERATE_TIMESTAMP_ARRAY(
    TIMESTAMP_TRUNC(GREATEST(reach_from, (SELECT first_minute FROM bounds)), MINUTE),
    TIMESTAMP_TRUNC(until, MINUTE),
    INTERVAL 1 MINUTE
  )) AS minute
  WHERE reach_from IS NOT NULL AND until >= (SELECT first_minute FROM bounds)
),
first_build AS (
  SELECT until, finished_at FROM builds WHERE reach_from IS NULL
),
timed AS (
  SELECT
    r.topic,
    r._ingested_at,
    TIMESTAMP_DIFF(r._ingested_at, r.ts, MILLISECOND) AS raw_ms,
    TIMESTAMP_DIFF(
      COALESCE(build.finished_at, IF(r._ingested_at <= first_build.until, first_build.finished_at, NULL)),
      r.ts,
      MILLISECOND
    ) AS mart_ms
  FROM new_rows AS r
  CROSS JOIN first_build
  LEFT JOIN build_minutes AS build
    ON build.minute = TIMESTAMP_TRUNC(r._ingested_at, MINUTE)
    AND r._ingested_at > build.reach_from
    AND r._ingested_at <= build.until
),
live AS (
  SELECT *, ABS(raw_ms) <= 300000 AS is_live FROM timed
)
SELECT
  TIMESTAMP_TRUNC(_ingested_at, MINUTE) AS minute,
  DATE(TIMESTAMP_TRUNC(_ingested_at, MINUTE)) AS minute_date,
  topic,
  COUNT(*) AS events,
  APPROX_QUANTILES(raw_ms, 100)[OFFSET(50)] / 1000 AS lag_p50_s,
  APPROX_QUANTILES(raw_ms, 100)[OFFSET(95)] / 1000 AS lag_p95_s,
  MAX(raw_ms) / 1000 AS lag_max_s,
  COUNTIF(NOT is_live) AS backlog_events,
  APPROX_QUANTILES(IF(is_live, raw_ms, NULL), 100)[SAFE_OFFSET(50)] / 1000 AS event_to_raw_p50_s,
  APPROX_QUANTILES(IF(is_live, raw_ms, NULL), 100)[SAFE_OFFSET(95)] / 1000 AS event_to_raw_p95_s,
  APPROX_QUANTILES(IF(is_live, mart_ms, NULL), 100)[SAFE_OFFSET(50)] / 1000 AS event_to_mart_p50_s,
  APPROX_QUANTILES(IF(is_live, mart_ms, NULL), 100)[SAFE_OFFSET(95)] / 1000 AS event_to_mart_p95_s
FROM live
GROUP BY 1, 2, 3
