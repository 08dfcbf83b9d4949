/* ---
name: vault.hub_user
grain: one row per user id, plus the ghost user (key of 32 zeros) for events without one
key: [user_hk]
materialized: incremental
cluster_by: [user_hk]
columns:
  user_hk: {type: STRING, doc: "MD5 of user_id (see warehouse_sql/README.md); 32 zeros for the ghost user"}
  user_id: {type: INT64, doc: "eventsim's userId; NULL for the ghost user"}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: the topic the user was first seen in}
--- */
WITH seen AS (
  SELECT user_hk, user_id, record_source, viewed_at AS seen_at FROM staging.page_views WHERE user_id IS NOT NULL
  UNION ALL
  SELECT user_hk, user_id, record_source, played_at FROM staging.listens WHERE user_id IS NOT NULL
  UNION ALL
  SELECT user_hk, user_id, record_source, attempted_at FROM staging.logins WHERE user_id IS NOT NULL
  UNION ALL
  SELECT user_hk, user_id, record_source, changed_at FROM staging.plan_changes WHERE user_id IS NOT NULL
  UNION ALL
  SELECT REPEAT('0', 32), CAST(NULL AS INT64), 'ghost', TIMESTAMP '1970-01-01 00:00:00+00'
),
per_source AS (
  SELECT user_hk, user_id, record_source, MIN(seen_at) AS seen_at
  FROM seen
  GROUP BY user_hk, user_id, record_source
),
first_seen AS (
  SELECT * FROM per_source
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_hk ORDER BY seen_at, record_source) = 1
)
SELECT user_hk, user_id, @load_ts AS load_ts, record_source
FROM first_seen
WHERE NOT EXISTS (SELECT 1 FROM vault.hub_user AS hub WHERE hub.user_hk = first_seen.user_hk)
