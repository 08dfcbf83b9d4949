/* ---
name: marts.hourly_activity
grain: one row per UTC date and hour with any event
key: [activity_date, activity_hour]
description: >
  Recomputed, every periodic refresh, for the hours touched since the last (from the first to
  the last event time) and merged in by key: distinct counts cannot be added across builds,
  and late events change past hours, but the other hours of the day stay as they are.
materialized: merge
refresh: periodic
partition_by: activity_date
columns:
  activity_date: {type: DATE, doc: UTC date}
  activity_hour: {type: INT64, doc: UTC hour, 0-23}
  plays: {type: INT64, doc: songs played}
  distinct_listeners: {type: INT64, doc: users who played at least one song}
  distinct_songs: {type: INT64, doc: different songs played}
  sessions: {type: INT64, doc: sessions with any event in the hour}
  page_views: {type: INT64, doc: events of any page}
  errors: {type: INT64, doc: "Error pages and 404 responses"}
--- */
WITH plays AS (
  SELECT
    played_date AS activity_date,
    EXTRACT(HOUR FROM played_at) AS activity_hour,
    COUNT(*) AS plays,
    COUNT(DISTINCT user_hk) AS distinct_listeners,
    COUNT(DISTINCT song_hk) AS distinct_songs
  FROM vault.t_link_play
  WHERE played_date BETWEEN DATE(@touched_since) AND DATE(@touched_until)
    AND played_at >= TIMESTAMP_TRUNC(@touched_since, HOUR)
    AND played_at < TIMESTAMP_ADD(TIMESTAMP_TRUNC(@touched_until, HOUR), INTERVAL 1 HOUR)
  GROUP BY 1, 2
),
views AS (
  SELECT
    viewed_date AS activity_date,
    EXTRACT(HOUR FROM viewed_at) AS activity_hour,
    COUNT(DISTINCT session_hk) AS sessions,
    COUNT(*) AS page_views,
    COUNTIF(page = 'Error' OR status = 404) AS errors
  FROM vault.t_link_page_view
  WHERE viewed_date BETWEEN DATE(@touched_since) AND DATE(@touched_until)
    AND viewed_at >= TIMESTAMP_TRUNC(@touched_since, HOUR)
    AND viewed_at < TIMESTAMP_ADD(TIMESTAMP_TRUNC(@touched_until, HOUR), INTERVAL 1 HOUR)
  GROUP BY 1, 2
)
SELECT
  COALESCE(views.activity_date, plays.activity_date) AS activity_date,
  COALESCE(views.activity_hour, plays.activity_hour) AS activity_hour,
  COALESCE(plays.plays, 0) AS plays,
  COALESCE(plays.distinct_listeners, 0) AS distinct_listeners,
  COALESCE(plays.distinct_songs, 0) AS distinct_songs,
  COALESCE(views.sessions, 0) AS sessions,
  COALESCE(views.page_views, 0) AS page_views,
  COALESCE(views.errors, 0) AS errors
FROM views
FULL OUTER JOIN plays
  ON plays.activity_date = views.activity_date AND plays.activity_hour = views.activity_hour
