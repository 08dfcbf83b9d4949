/* ---
name: vault.hub_song
grain: "one row per track: artist, title and length (eventsim's catalogue has many recordings of one title)"
key: [song_hk]
materialized: incremental
columns:
  song_hk: {type: STRING, doc: "MD5 of artist|song|duration with 5 decimals"}
  artist: {type: STRING, doc: artist name (mojibake repaired)}
  song: {type: STRING, doc: song title (mojibake repaired)}
  duration_s: {type: FLOAT64, doc: the track's length in seconds}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: listen_events}
--- */
WITH first_seen AS (
  -- The key hashes artist, title and the length to 5 decimals: MIN picks one float.
  SELECT song_hk, artist, song, MIN(duration_s) AS duration_s, record_source
  FROM staging.listens
  GROUP BY song_hk, artist, song, record_source
)
SELECT song_hk, artist, song, duration_s, @load_ts AS load_ts, record_source
FROM first_seen
WHERE NOT EXISTS (SELECT 1 FROM vault.hub_song AS hub WHERE hub.song_hk = first_seen.song_hk)
