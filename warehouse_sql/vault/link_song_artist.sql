/* ---
name: vault.link_song_artist
grain: one row per song and its artist
key: [song_artist_hk]
materialized: incremental
columns:
  song_artist_hk: {type: STRING, doc: "MD5 of song_hk|artist_hk"}
  song_hk: {type: STRING, doc: the song (vault.hub_song)}
  artist_hk: {type: STRING, doc: the artist (vault.hub_artist)}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: listen_events}
--- */
WITH pairs AS (
  SELECT TO_HEX(MD5(CONCAT(song_hk, '|', artist_hk))) AS song_artist_hk, song_hk, artist_hk, record_source
  FROM (
    SELECT song_hk, artist_hk, record_source FROM staging.listens
    GROUP BY song_hk, artist_hk, record_source
  )
)
SELECT song_artist_hk, song_hk, artist_hk, @load_ts AS load_ts, record_source
FROM pairs
WHERE NOT EXISTS (SELECT 1 FROM vault.link_song_artist AS link WHERE link.song_artist_hk = pairs.song_artist_hk)
