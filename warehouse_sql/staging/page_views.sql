/* ---
name: staging.page_views
grain: one row per raw.page_view_events row ingested in the build's window
materialized: ephemeral
description: Every simulated event (the clickstream), typed, with hash keys.
--- */
SELECT
  ts AS viewed_at,
  userId AS user_id,
  sessionId AS session_id,
  itemInSession AS item_in_session,
  page,
  auth,
  method,
  status,
  level,
  city,
  zip,
  state,
  TRIM(userAgent, '"') AS user_agent,
  firstName AS first_name,
  lastName AS last_name,
  gender,
  registration AS registered_at,
  {{ hash_key('sessionId', 'itemInSession', 'UNIX_MILLIS(ts)') }} AS event_hk,
  {{ hash_key('userId', ghost_if='userId IS NULL') }} AS user_hk,
  {{ hash_key('sessionId') }} AS session_hk,
  {{ hash_key('page') }} AS page_hk,
  {{ hash_key('zip', 'city', 'state', ghost_if='zip IS NULL AND city IS NULL') }} AS location_hk,
  {{ hash_key("TRIM(userAgent, '\"')", ghost_if='userAgent IS NULL') }} AS user_agent_hk,
  _topic AS record_source,
  _ingested_at
FROM raw.page_view_events
WHERE _ingested_at > @since AND _ingested_at <= @until
  AND event_date BETWEEN @first_date AND @last_date
