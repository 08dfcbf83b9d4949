/* ---
name: staging.listens
grain: one row per raw.listen_events row ingested in the build's window
materialized: ephemeral
description: >
  Plays, typed and cleaned: user agents without eventsim's surrounding quotes, artist and song
  names with eventsim's mojibake repaired (UTF-8 read as Latin-1, often twice), hash keys.
--- */
WITH window_rows AS (
  SELECT *
  FROM raw.listen_events
  WHERE _ingested_at > @since AND _ingested_at <= @until
    AND event_date BETWEEN @first_date AND @last_date
),
-- The repair and the track keys are computed once per distinct track (a catalogue's
-- worth), not once per play.
-- (Read from raw, not from window_rows: DuckDB materialises a CTE read twice, every column.)
names AS (
  SELECT DISTINCT artist AS raw_artist, song AS raw_song, duration AS raw_duration, artist, song
  FROM raw.listen_events
  WHERE _ingested_at > @since AND _ingested_at <= @until
    AND event_date BETWEEN @first_date AND @last_date
),
-- One pass of the mojibake repair: a string whose characters are all below U+0100 and
-- form valid UTF-8 when read as bytes was UTF-8 decoded as Latin-1; decode it again.
repaired_once AS (
  SELECT
    * REPLACE (
      {{ repair_mojibake('artist') }} AS artist,
      {{ repair_mojibake('song') }} AS song
    )
  FROM names
),
repaired AS (
  SELECT
    * REPLACE (
      {{ repair_mojibake('artist') }} AS artist,
      {{ repair_mojibake('song') }} AS song
    )
  FROM repaired_once
),
tracks AS (
  SELECT
    *,
    {{ hash_key('artist', 'song', "FORMAT('%.5f', raw_duration)") }} AS song_hk,
    {{ hash_key('artist') }} AS artist_hk
  FROM repaired
),
plays AS (
  SELECT
    window_rows.* REPLACE (
      COALESCE(tracks.artist, window_rows.artist) AS artist,
      COALESCE(tracks.song, window_rows.song) AS song
    ),
    tracks.song_hk,
    tracks.artist_hk
  FROM window_rows
  LEFT JOIN tracks
    ON tracks.raw_artist = window_rows.artist
    AND tracks.raw_song = window_rows.song
    AND tracks.raw_duration = window_rows.duration
)
SELECT
  ts AS played_at,
  userId AS user_id,
  sessionId AS session_id,
  itemInSession AS item_in_session,
  auth,
  level,
  city,
  zip,
  state,
  TRIM(userAgent, '"') AS user_agent,
  firstName AS first_name,
  lastName AS last_name,
  gender,
  registration AS registered_at,
  artist,
  song,
  duration AS duration_s,
  {{ hash_key('sessionId', 'itemInSession', 'UNIX_MILLIS(ts)') }} AS event_hk,
  {{ hash_key('userId', ghost_if='userId IS NULL') }} AS user_hk,
  {{ hash_key('sessionId') }} AS session_hk,
  song_hk,
  artist_hk,
  {{ hash_key('zip', 'city', 'state', ghost_if='zip IS NULL AND city IS NULL') }} AS location_hk,
  {{ hash_key("TRIM(userAgent, '\"')", ghost_if='userAgent IS NULL') }} AS user_agent_hk,
  _topic AS record_source,
  _ingested_at
FROM plays
