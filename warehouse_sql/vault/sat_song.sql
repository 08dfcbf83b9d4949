/* ---
name: vault.sat_song
grain: one row per song per change of its details (duration)
key: [song_hk, effective_from]
materialized: incremental
columns:
  song_hk: {type: STRING, doc: the song (vault.hub_song)}
  hashdiff: {type: STRING, doc: "MD5 of the duration, formatted with 5 decimals"}
  effective_from: {type: TIMESTAMP, doc: first play with these details}
  duration_s: {type: FLOAT64, doc: length in seconds}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: listen_events}
--- */
-- The key covers the length too, so a song has one hashdiff for good: its first play per
-- source is all the timeline needs (and the window sorts thousands of rows, not millions).
WITH first_plays AS (
  SELECT song_hk, duration_s, record_source, MIN(played_at) AS effective_from
  FROM staging.listens
  GROUP BY song_hk, duration_s, record_source
),
candidates AS (
  SELECT song_hk, TO_HEX(MD5(FORMAT('%.5f', duration_s))) AS hashdiff, effective_from,
         duration_s, record_source
  FROM first_plays
),
timeline AS (
  SELECT song_hk, hashdiff, effective_from, duration_s, record_source, FALSE AS is_new
  FROM vault.sat_song
  WHERE song_hk IN (SELECT song_hk FROM candidates)
  UNION ALL
  SELECT *, TRUE AS is_new FROM candidates
),
changes AS (
  SELECT *, LAG(hashdiff) OVER (PARTITION BY song_hk ORDER BY effective_from, is_new, hashdiff, record_source) AS previous
  FROM timeline
)
SELECT song_hk, hashdiff, effective_from, duration_s, @load_ts AS load_ts, record_source
FROM changes
WHERE is_new AND (previous IS NULL OR previous != hashdiff)
