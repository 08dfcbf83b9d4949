/* ---
name: marts.user_activity_daily
grain: one row per UTC date, plan level and user with any event carrying their user id that day at that level
key: [activity_date, level, user_hk]
materialized: incremental
partition_by: activity_date
cluster_by: [user_id]
description: >
  Who was active when, at which level: the base of active-user counts and retention. Each
  build adds the (date, level, user) triples its window's page views bring that are not
  stored yet, so marts.active_users counts distinct users over 30 days from this table
  instead of from every page view of those 30 days.
columns:
  activity_date: {type: DATE, doc: UTC date}
  level: {type: STRING, doc: free or paid (the level the events carried)}
  user_hk: {type: STRING, doc: the user (vault.hub_user)}
  user_id: {type: INT64, doc: "eventsim's userId"}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
--- */
WITH seen AS (
  SELECT DISTINCT DATE(viewed_at) AS activity_date, level, user_hk, user_id
  FROM staging.page_views
  WHERE user_hk != {{ ghost_key() }} AND level IS NOT NULL
),
stored AS (
  SELECT activity_date, level, user_hk FROM marts.user_activity_daily
  WHERE activity_date BETWEEN (SELECT MIN(activity_date) FROM seen)
    AND (SELECT MAX(activity_date) FROM seen)
)
SELECT seen.activity_date, seen.level, seen.user_hk, seen.user_id, @load_ts AS load_ts
FROM seen
WHERE NOT EXISTS (
  SELECT 1 FROM stored
  WHERE stored.activity_date = seen.activity_date
    AND stored.level = seen.level
    AND stored.user_hk = seen.user_hk
)
