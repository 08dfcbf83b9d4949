/* ---
name: staging.plan_changes
grain: one row per raw.status_change_events row ingested in the build's window
materialized: ephemeral
description: >
  Upgrades and downgrades. eventsim writes the level from before the change, so the new
  level is the other one.
--- */
SELECT
  ts AS changed_at,
  userId AS user_id,
  sessionId AS session_id,
  itemInSession AS item_in_session,
  level AS previous_level,
  IF(level = 'free', 'paid', 'free') AS new_level,
  TO_HEX(MD5(CONCAT(CAST(sessionId AS STRING), '|', CAST(itemInSession AS STRING), '|', CAST(UNIX_MILLIS(ts) AS STRING)))) AS event_hk,
  IF(userId IS NULL, REPEAT('0', 32), TO_HEX(MD5(CAST(userId AS STRING)))) AS user_hk,
  TO_HEX(MD5(CAST(sessionId AS STRING))) AS session_hk,
  _topic AS record_source,
  _ingested_at
FROM raw.status_change_events
WHERE _ingested_at > @since AND _ingested_at <= @until
  AND event_date BETWEEN @first_date AND @last_date
