/* ---
name: staging.recommendation_judgements
grain: one row per raw.recommendation_judgements row ingested in the build's window
materialized: ephemeral
description: Plays the sessions dataflow judged against the rankers, typed, with hash keys.
--- */
SELECT
  TO_HEX(MD5(CONCAT(CAST(user_id AS STRING), '|', CAST(UNIX_MILLIS(ts) AS STRING), '|', song_id))) AS judgement_hk,
  TO_HEX(MD5(CAST(user_id AS STRING))) AS user_hk,
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
