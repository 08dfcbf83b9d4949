/* ---
name: staging.recommendation_judgements
grain: one row per raw.recommendation_judgements row ingested in the build's window
materialized: ephemeral
description: Plays the sessions dataflow judged against the rankers, typed, with hash keys.
--- */
SELECT
  {{ hash_key('user_id', 'UNIX_MILLIS(ts)', 'song_id') }} AS judgement_hk,
  {{ hash_key('user_id') }} AS user_hk,
  song_id,
  served,
  recommender_hit,
  popularity_hit,
  ts AS played_at,
  _topic AS record_source,
  _ingested_at
FROM raw.recommendation_judgements
WHERE _ingested_at > @since AND _ingested_at <= @until
  AND event_date BETWEEN @first_date AND @last_date
