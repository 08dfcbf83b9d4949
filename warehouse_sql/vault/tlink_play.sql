/* ---
name: vault.tlink_play
grain: one row per play (a listen_events record)
key: [play_hk]
materialized: incremental
partition_by: played_date
cluster_by: [user_hk]
columns:
  play_hk: {type: STRING, doc: "MD5 of sessionId|itemInSession|ts (ms): the event's key"}
  session_hk: {type: STRING, doc: the session (vault.hub_session)}
  user_hk: {type: STRING, doc: "the user (vault.hub_user), or the ghost user"}
  song_hk: {type: STRING, doc: the song (vault.hub_song)}
  location_hk: {type: STRING, doc: where (vault.hub_location)}
  user_agent_hk: {type: STRING, doc: on what client (vault.hub_user_agent)}
  played_at: {type: TIMESTAMP, doc: when the song started (eventsim ts)}
  played_date: {type: DATE, doc: UTC date of played_at}
  item_in_session: {type: INT64, doc: "the event's position in its session (all pages count)"}
  level: {type: STRING, doc: free or paid at the time}
  duration_s: {type: FLOAT64, doc: the song's length in seconds (eventsim plays songs whole)}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: listen_events}
--- */
WITH plays AS (
  SELECT * FROM staging.listens
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_hk ORDER BY _ingested_at) = 1
),
-- An event's key fixes its date, so only the stored rows of the same dates can match
-- (partition pruning on BigQuery, row-group pruning on DuckDB).
stored AS (
  SELECT play_hk FROM vault.tlink_play
  WHERE played_date BETWEEN (SELECT MIN(DATE(played_at)) FROM plays) AND (SELECT MAX(DATE(played_at)) FROM plays)
)
SELECT
  event_hk AS play_hk, session_hk, user_hk, song_hk, location_hk, user_agent_hk,
  played_at, DATE(played_at) AS played_date, item_in_session, level, duration_s,
  @load_ts AS load_ts, record_source
FROM plays
WHERE NOT EXISTS (SELECT 1 FROM stored WHERE stored.play_hk = plays.event_hk)
