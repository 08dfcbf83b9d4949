/* ---
name: vault.tlink_page_view
grain: "one row per page view (a page_view_events record): the clickstream"
key: [page_view_hk]
materialized: incremental
partition_by: viewed_date
cluster_by: [session_hk]
columns:
  page_view_hk: {type: STRING, doc: "MD5 of sessionId|itemInSession|ts (ms)"}
  session_hk: {type: STRING, doc: the session (vault.hub_session)}
  user_hk: {type: STRING, doc: "the user (vault.hub_user), or the ghost user"}
  page_hk: {type: STRING, doc: the page (vault.hub_page)}
  location_hk: {type: STRING, doc: where (vault.hub_location)}
  user_agent_hk: {type: STRING, doc: on what client (vault.hub_user_agent)}
  viewed_at: {type: TIMESTAMP, doc: eventsim ts}
  viewed_date: {type: DATE, doc: UTC date of viewed_at}
  item_in_session: {type: INT64, doc: the event's position in its session}
  page: {type: STRING, doc: the page (denormalised for the marts)}
  method: {type: STRING, doc: GET or PUT}
  status: {type: INT64, doc: "HTTP status: 200, 307 (after a submit) or 404"}
  auth: {type: STRING, doc: "Logged In, Logged Out, Guest or Cancelled"}
  level: {type: STRING, doc: free or paid at the time}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: page_view_events}
--- */
WITH views AS (
  SELECT * FROM staging.page_views
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_hk ORDER BY _ingested_at) = 1
),
-- An event's key fixes its date, so only the stored rows of the same dates can match
-- (partition pruning on BigQuery, row-group pruning on DuckDB).
stored AS (
  SELECT page_view_hk FROM vault.tlink_page_view
  WHERE viewed_date BETWEEN (SELECT MIN(DATE(viewed_at)) FROM views) AND (SELECT MAX(DATE(viewed_at)) FROM views)
)
SELECT
  event_hk AS page_view_hk, session_hk, user_hk, page_hk, location_hk, user_agent_hk,
  viewed_at, DATE(viewed_at) AS viewed_date, item_in_session, page, method, status, auth, level,
  @load_ts AS load_ts, record_source
FROM views
WHERE NOT EXISTS (SELECT 1 FROM stored WHERE stored.page_view_hk = views.event_hk)
