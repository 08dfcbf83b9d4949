/* ---
name: marts.top_songs_daily
grain: one row per UTC date and rank (1-10)
key: [play_date, rank]
materialized: partitions
refresh: periodic
partition_by: play_date
description: >
  Recomputed, every periodic refresh, for the dates touched since the last (a late play can
  change a day's ranking; distinct listeners cannot be summed over builds).
  The ten songs with the most distinct listeners each day. Ties are broken by plays, then
  artist, then title, so the ranking is the same on every run and on both backends.
columns:
  play_date: {type: DATE, doc: UTC date}
  rank: {type: INT64, doc: 1 = most distinct listeners}
  artist: {type: STRING, doc: artist}
  song: {type: STRING, doc: song title}
  distinct_listeners: {type: INT64, doc: users who played the song that day}
  plays: {type: INT64, doc: times it was played that day}
--- */
WITH per_song AS (
  SELECT
    play.played_date AS play_date,
    track.artist,
    track.song,
    COUNT(DISTINCT play.user_hk) AS distinct_listeners,
    COUNT(*) AS plays
  FROM vault.t_link_play AS play
  JOIN vault.hub_song AS track ON track.song_hk = play.song_hk
  WHERE play.played_date BETWEEN @touched_first AND @touched_last
  GROUP BY 1, 2, 3
),
ranked AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY play_date ORDER BY distinct_listeners DESC, plays DESC, artist, song
    ) AS rank
  FROM per_song
)
SELECT play_date, rank, artist, song, distinct_listeners, plays
FROM ranked
WHERE rank <= 10
