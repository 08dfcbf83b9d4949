/* ---
name: staging.offers
grain: one row per raw.offers row ingested in the build's window
materialized: ephemeral
description: Offers the sessions dataflow decided (holdout ones too), typed, with hash keys.
--- */
SELECT
  offer_id,
  {{ hash_key('offer_id') }} AS offer_hk,
  user_id,
  {{ hash_key('user_id') }} AS user_hk,
  rule_id,
  offer_type,
  reason,
  priority,
  holdout,
  payload,
  ts AS decided_at,
  expires_at,
  _topic AS record_source,
  _ingested_at
FROM raw.offers
WHERE _ingested_at > @since AND _ingested_at <= @until
  AND event_date BETWEEN @first_date AND @last_date
