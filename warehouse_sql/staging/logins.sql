/* ---
name: staging.logins
grain: one row per raw.auth_events row ingested in the build's window
materialized: ephemeral
description: Login attempts; failed ones carry no user.
--- */
SELECT
  ts AS attempted_at,
  userId AS user_id,
  sessionId AS session_id,
  itemInSession AS item_in_session,
  success,
  level,
  {{ hash_key('sessionId', 'itemInSession', 'UNIX_MILLIS(ts)') }} AS event_hk,
  {{ hash_key('userId', ghost_if='userId IS NULL') }} AS user_hk,
  {{ hash_key('sessionId') }} AS session_hk,
  _topic AS record_source,
  _ingested_at
FROM raw.auth_events
WHERE _ingested_at > @since AND _ingested_at <= @until
  AND event_date BETWEEN @first_date AND @last_date
