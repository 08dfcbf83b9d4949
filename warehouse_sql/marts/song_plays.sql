/* ---
name: marts.song_plays
grain: one row per play
key: [play_id]
materialized: incremental
partition_by: play_date
cluster_by: [user_id, artist]
description: >
  Who listened to what, when and where; the base of the listening dashboards. Each build
  adds the plays the vault gained since the last finished build (by load time), so a build
  that stopped between the vault and the marts is caught up by the next one. It reads the
  new plays and nothing of the mart but the rows of builds that never finished: the cost of
  a build does not grow with the mart.
columns:
  play_id: {type: STRING, doc: "the play's key (vault.t_link_play.play_hk)"}
  played_at: {type: TIMESTAMP, doc: when the song started (UTC)}
  play_date: {type: DATE, doc: UTC date of played_at}
  user_id: {type: INT64, doc: the listener}
  level: {type: STRING, doc: free or paid at the time of the play}
  artist: {type: STRING, doc: artist (mojibake repaired)}
  song: {type: STRING, doc: song title (mojibake repaired)}
  duration_s: {type: FLOAT64, doc: seconds listened (eventsim plays songs whole)}
  session_id: {type: INT64, doc: the session}
  city: {type: STRING, doc: the listener's city}
  state: {type: STRING, doc: the listener's state}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
--- */
-- The last finished build's load time. That build's window ended at or after this one's
-- `since` (windows overlap backwards), so the log's rows from `since` on hold it: the build log
-- is never read whole. Before the first build: every play.
WITH caught_up_to AS (
  SELECT COALESCE(MAX(load_ts), TIMESTAMP '1970-01-01 00:00:00+00') AS load_ts
  FROM vault.build_log
  WHERE finished_at IS NOT NULL AND until >= @since
),
new_plays AS (
  SELECT * FROM vault.t_link_play
  WHERE load_ts > (SELECT load_ts FROM caught_up_to)
),
-- The new plays' dates, read from two columns rather than from new_plays: a CTE read more
-- than once is materialised whole by DuckDB, every column of every new play.
new_dates AS (
  SELECT MIN(played_date) AS first_date, MAX(played_date) AS last_date
  FROM vault.t_link_play
  WHERE load_ts > (SELECT load_ts FROM caught_up_to)
),
-- Only a build that wrote this mart and died before it was recorded can have left any of the
-- new plays here, and its rows are newer than the last finished build.
stored AS (
  SELECT play_id FROM marts.song_plays
  WHERE load_ts > (SELECT load_ts FROM caught_up_to)
    AND play_date BETWEEN (SELECT first_date FROM new_dates) AND (SELECT last_date FROM new_dates)
)
SELECT
  play.play_hk AS play_id,
  play.played_at,
  play.played_date AS play_date,
  listener.user_id,
  play.level,
  track.artist,
  track.song,
  play.duration_s,
  session.session_id,
  place.city,
  place.state,
  @load_ts AS load_ts
FROM new_plays AS play
JOIN vault.hub_song AS track ON track.song_hk = play.song_hk
JOIN vault.hub_user AS listener ON listener.user_hk = play.user_hk
JOIN vault.hub_session AS session ON session.session_hk = play.session_hk
LEFT JOIN vault.hub_location AS place ON place.location_hk = play.location_hk
WHERE NOT EXISTS (SELECT 1 FROM stored WHERE stored.play_id = play.play_hk)
