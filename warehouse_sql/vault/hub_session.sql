/* ---
name: vault.hub_session
grain: one row per session id
key: [session_hk]
materialized: incremental
columns:
  session_hk: {type: STRING, doc: MD5 of sessionId}
  session_id: {type: INT64, doc: "eventsim's sessionId (unique within one simulation run)"}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: the topic the session was first seen in}
--- */
WITH seen AS (
  SELECT session_hk, session_id, record_source, viewed_at AS seen_at FROM staging.page_views
  UNION ALL
  SELECT session_hk, session_id, record_source, played_at FROM staging.listens
  UNION ALL
  SELECT session_hk, session_id, record_source, attempted_at FROM staging.logins
  UNION ALL
  SELECT session_hk, session_id, record_source, changed_at FROM staging.plan_changes
),
per_source AS (
  SELECT session_hk, session_id, record_source, MIN(seen_at) AS seen_at
  FROM seen
  GROUP BY session_hk, session_id, record_source
),
first_seen AS (
  SELECT * FROM per_source
  QUALIFY ROW_NUMBER() OVER (PARTITION BY session_hk ORDER BY seen_at, record_source) = 1
)
SELECT session_hk, session_id, @load_ts AS load_ts, record_source
FROM first_seen
WHERE NOT EXISTS (SELECT 1 FROM vault.hub_session AS hub WHERE hub.session_hk = first_seen.session_hk)
