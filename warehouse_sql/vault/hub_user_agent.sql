/* ---
name: vault.hub_user_agent
grain: one row per user agent (eventsim's surrounding quotes removed), plus the ghost agent
key: [user_agent_hk]
materialized: incremental
columns:
  user_agent_hk: {type: STRING, doc: MD5 of the unquoted user agent}
  user_agent: {type: STRING, doc: the browser's user agent}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: the topic the agent was first seen in}
--- */
WITH seen AS (
  SELECT user_agent_hk, user_agent, record_source, viewed_at AS seen_at
  FROM staging.page_views
  UNION ALL
  SELECT REPEAT('0', 32), NULL, 'ghost', TIMESTAMP '1970-01-01 00:00:00+00'
),
per_source AS (
  SELECT user_agent_hk, user_agent, record_source, MIN(seen_at) AS seen_at
  FROM seen
  GROUP BY user_agent_hk, user_agent, record_source
),
first_seen AS (
  SELECT * FROM per_source
  QUALIFY ROW_NUMBER() OVER (PARTITION BY user_agent_hk ORDER BY seen_at, record_source) = 1
)
SELECT user_agent_hk, user_agent, @load_ts AS load_ts, record_source
FROM first_seen
WHERE NOT EXISTS (SELECT 1 FROM vault.hub_user_agent AS hub WHERE hub.user_agent_hk = first_seen.user_agent_hk)
