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
names AS (
  SELECT DISTINCT artist AS raw_artist, song AS raw_song, duration AS raw_duration, artist, song
  FROM window_rows
),
-- One pass of the mojibake repair: a string whose characters are all below U+0100 and
-- form valid UTF-8 when read as bytes was UTF-8 decoded as Latin-1; decode it again.
repaired_once AS (
  SELECT
    * REPLACE (
      IF(
        REGEXP_CONTAINS(artist, r'^(?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF4][\x80-\xBF]{3})*$')
          AND REGEXP_CONTAINS(artist, r'[\xC2-\xF4]'),
        SAFE_CONVERT_BYTES_TO_STRING(CODE_POINTS_TO_BYTES(TO_CODE_POINTS(artist))),
        artist
      ) AS artist,
      IF(
        REGEXP_CONTAINS(song, r'^(?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF4][\x80-\xBF]{3})*$')
          AND REGEXP_CONTAINS(song, r'[\xC2-\xF4]'),
        SAFE_CONVERT_BYTES_TO_STRING(CODE_POINTS_TO_BYTES(TO_CODE_POINTS(song))),
        song
      ) AS song
    )
  FROM names
),
repaired AS (
  SELECT
    * REPLACE (
      IF(
        REGEXP_CONTAINS(artist, r'^(?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF4][\x80-\xBF]{3})*$')
          AND REGEXP_CONTAINS(artist, r'[\xC2-\xF4]'),
        SAFE_CONVERT_BYTES_TO_STRING(CODE_POINTS_TO_BYTES(TO_CODE_POINTS(artist))),
        artist
      ) AS artist,
      IF(
        REGEXP_CONTAINS(song, r'^(?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF4][\x80-\xBF]{3})*$')
          AND REGEXP_CONTAINS(song, r'[\xC2-\xF4]'),
        SAFE_CONVERT_BYTES_TO_STRING(CODE_POINTS_TO_BYTES(TO_CODE_POINTS(song))),
        song
      ) AS song
    )
  FROM repaired_once
),
tracks AS (
  SELECT
    *,
    TO_HEX(MD5(CONCAT(artist, '|', song, '|', FORMAT('%.5f', raw_duration)))) AS song_hk,
    TO_HEX(MD5(artist)) AS artist_hk
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
  tag,
  artist,
  song,
  duration AS duration_s,
  TO_HEX(MD5(CONCAT(CAST(sessionId AS STRING), '|', CAST(itemInSession AS STRING), '|', CAST(UNIX_MILLIS(ts) AS STRING)))) AS event_hk,
  IF(userId IS NULL, REPEAT('0', 32), TO_HEX(MD5(CAST(userId AS STRING)))) AS user_hk,
  TO_HEX(MD5(CAST(sessionId AS STRING))) AS session_hk,
  song_hk,
  artist_hk,
  IF(
    zip IS NULL AND city IS NULL,
    REPEAT('0', 32),
    TO_HEX(MD5(CONCAT(COALESCE(zip, ''), '|', COALESCE(city, ''), '|', COALESCE(state, ''))))
  ) AS location_hk,
  IF(userAgent IS NULL, REPEAT('0', 32), TO_HEX(MD5(TRIM(userAgent, '"')))) AS user_agent_hk,
  _topic AS record_source,
  _ingested_at
FROM plays
