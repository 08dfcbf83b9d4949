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
  {{ hash_key('sessionId', 'itemInSession', 'UNIX_MILLIS(ts)') }} AS event_hk,
  {{ hash_key('userId', ghost_if='userId IS NULL') }} AS user_hk,
  {{ hash_key('sessionId') }} AS session_hk,
  _topic AS record_source,
  _ingested_at
FROM raw.status_change_events
WHERE _ingested_at > @since AND _ingested_at <= @until
  AND event_date BETWEEN @first_date AND @last_date
