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
  tag,
  TO_HEX(MD5(CONCAT(CAST(sessionId AS STRING), '|', CAST(itemInSession AS STRING), '|', CAST(UNIX_MILLIS(ts) AS STRING)))) AS event_hk,
  IF(userId IS NULL, REPEAT('0', 32), TO_HEX(MD5(CAST(userId AS STRING)))) AS user_hk,
  TO_HEX(MD5(CAST(sessionId AS STRING))) AS session_hk,
  TO_HEX(MD5(page)) AS page_hk,
  IF(
    zip IS NULL AND city IS NULL,
    REPEAT('0', 32),
    TO_HEX(MD5(CONCAT(COALESCE(zip, ''), '|', COALESCE(city, ''), '|', COALESCE(state, ''))))
  ) AS location_hk,
  IF(userAgent IS NULL, REPEAT('0', 32), TO_HEX(MD5(TRIM(userAgent, '"')))) AS user_agent_hk,
  _topic AS record_source,
  _ingested_at
FROM raw.page_view_events
WHERE _ingested_at > @since AND _ingested_at <= @until
  AND event_date BETWEEN @first_date AND @last_date
