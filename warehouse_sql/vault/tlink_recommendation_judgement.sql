/* ---
name: vault.tlink_recommendation_judgement
grain: one row per judged play (user and event time; a replayed judgement adds nothing)
key: [judgement_hk]
materialized: incremental
partition_by: played_date
cluster_by: [user_hk]
description: >
  The plays the sessions dataflow judged online (a share of all plays,
  BACKBEAT_SESSIONS_RECOMMENDATIONS_JUDGED_SHARE): whether the song was among the 10 the
  recommender would have served just before it, and among the 10 most popular songs the
  user had not just heard; `served` is which of the two the API was serving then.
columns:
  judgement_hk: {type: STRING, doc: "MD5 of user id, play time (ms) and song id"}
  user_hk: {type: STRING, doc: the user (vault.hub_user)}
  song_id: {type: STRING, doc: "the real-time side's song id (artist id + title id, offers/recommender.py)"}
  served: {type: STRING, doc: "recommender or popularity: what the API served at that moment"}
  recommender_hit: {type: BOOL, doc: the song was in the recommender's top 10}
  popularity_hit: {type: BOOL, doc: the song was in the popularity baseline's top 10}
  played_at: {type: TIMESTAMP, doc: event time of the play}
  played_date: {type: DATE, doc: UTC date of played_at}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: recommendation_judgements}
--- */
WITH judged AS (
  SELECT * FROM staging.recommendation_judgements
  QUALIFY ROW_NUMBER() OVER (PARTITION BY judgement_hk ORDER BY _ingested_at) = 1
)
SELECT
  judgement_hk, user_hk, song_id, served, recommender_hit, popularity_hit, played_at,
  DATE(played_at) AS played_date, @load_ts AS load_ts, record_source
FROM judged
WHERE NOT EXISTS (
  SELECT 1 FROM vault.tlink_recommendation_judgement AS link
  WHERE link.judgement_hk = judged.judgement_hk
)
