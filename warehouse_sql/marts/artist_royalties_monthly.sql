/* ---
name: marts.artist_royalties_monthly
grain: one row per calendar month (UTC) and artist played that month
key: [month, artist]
materialized: partitions
refresh: periodic
partition_by: month
description: >
  Recomputed, every periodic refresh, for the months touched since the last. Pro-rata ("streamshare") royalties: each month's pool (BACKBEAT_WAREHOUSE_ROYALTY_POOL_PER_MONTH)
  is split across artists by their share of that month's paid-tier plays.
columns:
  month: {type: DATE, doc: first day of the month}
  artist: {type: STRING, doc: artist}
  plays: {type: INT64, doc: plays in the month}
  listened_s: {type: FLOAT64, doc: "seconds listened in the month (summed exactly, to 5 decimals)"}
  paid_plays: {type: INT64, doc: plays by paid-tier users}
  payout: {type: FLOAT64, doc: "the artist's share of the month's pool, rounded to cents"}
--- */
WITH per_artist AS (
  SELECT
    DATE_TRUNC(play.played_date, MONTH) AS month,
    track.artist,
    COUNT(*) AS plays,
    SUM(CAST(ROUND(play.duration_s * 100000) AS INT64)) / 100000 AS listened_s,
    COUNTIF(play.level = 'paid') AS paid_plays
  FROM vault.t_link_play AS play
  JOIN vault.hub_song AS track ON track.song_hk = play.song_hk
  WHERE DATE_TRUNC(play.played_date, MONTH)
    BETWEEN DATE_TRUNC(@touched_first, MONTH) AND DATE_TRUNC(@touched_last, MONTH)
  GROUP BY 1, 2
)
SELECT
  month,
  artist,
  plays,
  listened_s,
  paid_plays,
  ROUND(
    COALESCE(SAFE_DIVIDE(paid_plays * @royalty_pool, SUM(paid_plays) OVER (PARTITION BY month)), 0),
    2
  ) AS payout
FROM per_artist
