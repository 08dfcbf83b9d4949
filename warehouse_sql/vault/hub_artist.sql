/* ---
name: vault.hub_artist
grain: one row per artist name, repaired
key: [artist_hk]
materialized: incremental
columns:
  artist_hk: {type: STRING, doc: MD5 of the artist name}
  artist: {type: STRING, doc: artist name (mojibake repaired)}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: listen_events}
--- */
WITH first_seen AS (
  SELECT artist_hk, artist, record_source
  FROM staging.listens
  GROUP BY artist_hk, artist, record_source
)
SELECT artist_hk, artist, @load_ts AS load_ts, record_source
FROM first_seen
WHERE NOT EXISTS (SELECT 1 FROM vault.hub_artist AS hub WHERE hub.artist_hk = first_seen.artist_hk)
