/* ---
name: vault.sat_user_plan
grain: one row per user per change of plan level (free / paid); one level per instant
key: [user_hk, effective_from]
materialized: incremental
cluster_by: [user_hk]
description: >
  The plan history of each user, as effectivity: a level holds from `effective_from` until
  the next row's `effective_from` (marts derive `effective_to` with LEAD). Built from every
  event carrying a user, so it follows the levels eventsim reports.
columns:
  user_hk: {type: STRING, doc: the user (vault.hub_user)}
  hashdiff: {type: STRING, doc: MD5 of the level}
  effective_from: {type: TIMESTAMP, doc: event time of the first event at this level}
  level: {type: STRING, doc: free or paid}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: the topic the change was seen in}
--- */
WITH events AS (
  SELECT user_hk, TO_HEX(MD5(level)) AS hashdiff, viewed_at AS effective_from, item_in_session, level, record_source
  FROM staging.page_views
  WHERE user_id IS NOT NULL AND level IS NOT NULL
  UNION ALL
  SELECT user_hk, TO_HEX(MD5(level)), played_at, item_in_session, level, record_source
  FROM staging.listens
  WHERE user_id IS NOT NULL AND level IS NOT NULL
),
-- One second can hold two levels (Submit Upgrade at free, then the next page at paid, in
-- whole-second event times): the level of that instant is its last event's. An instant the
-- satellite already holds stays as it is, so the key (user_hk, effective_from) is unique.
candidates AS (
  SELECT user_hk, hashdiff, effective_from, level, record_source
  FROM events
  WHERE NOT EXISTS (
    SELECT 1 FROM vault.sat_user_plan AS stored
    WHERE stored.user_hk = events.user_hk AND stored.effective_from = events.effective_from
  )
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY user_hk, effective_from ORDER BY item_in_session DESC, hashdiff, record_source
  ) = 1
),
timeline AS (
  SELECT user_hk, hashdiff, effective_from, level, record_source, FALSE AS is_new
  FROM vault.sat_user_plan
  WHERE user_hk IN (SELECT user_hk FROM candidates)
  UNION ALL
  SELECT *, TRUE AS is_new FROM candidates
),
changes AS (
  SELECT *, LAG(hashdiff) OVER (PARTITION BY user_hk ORDER BY effective_from, is_new, hashdiff, record_source) AS previous
  FROM timeline
)
SELECT user_hk, hashdiff, effective_from, level, @load_ts AS load_ts, record_source
FROM changes
WHERE is_new AND (previous IS NULL OR previous != hashdiff)
