/* ---
name: staging.offer_events
grain: one row per raw.offer_events row ingested in the build's window
materialized: ephemeral
description: What users did with offers, as the app reported it through the offer API.
--- */
SELECT
  {{ hash_key('offer_id', 'type', 'UNIX_MILLIS(ts)') }} AS offer_event_hk,
  {{ hash_key('offer_id') }} AS offer_hk,
  {{ hash_key('user_id') }} AS user_hk,
  type AS event_type,
  ts AS happened_at,
  _topic AS record_source,
  _ingested_at
FROM raw.offer_events
WHERE _ingested_at > @since AND _ingested_at <= @until
  AND event_date BETWEEN @first_date AND @last_date
