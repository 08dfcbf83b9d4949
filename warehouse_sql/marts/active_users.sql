/* ---
name: marts.active_users
grain: one row per UTC date and plan level with any active user
key: [activity_date, level]
description: >
  Recomputed for the dates a build touched and the 29 days after them (an event counts
  toward the rolling 7- and 30-day figures of the month that follows it), from
  marts.user_activity_daily (a row per user and day, not per page view).
materialized: partitions
partition_by: activity_date
columns:
  activity_date: {type: DATE, doc: UTC date}
  level: {type: STRING, doc: free or paid (the level the events carried)}
  dau: {type: INT64, doc: distinct users with any event carrying their user id that day at that level}
  wau: {type: INT64, doc: the same over the 7 days ending that day}
  mau: {type: INT64, doc: the same over the 30 days ending that day}
--- */
WITH daily AS (
  SELECT activity_date, level, user_hk
  FROM marts.user_activity_daily
  WHERE DATE_DIFF(@touched_first, activity_date, DAY) < 30
    AND DATE_DIFF(activity_date, @touched_last, DAY) < 30
),
days AS (
  SELECT DISTINCT activity_date, level FROM daily
  WHERE activity_date >= @touched_first
)
SELECT
  days.activity_date,
  days.level,
  COUNT(DISTINCT IF(daily.activity_date = days.activity_date, daily.user_hk, NULL)) AS dau,
  COUNT(DISTINCT IF(DATE_DIFF(days.activity_date, daily.activity_date, DAY) < 7, daily.user_hk, NULL)) AS wau,
  COUNT(DISTINCT daily.user_hk) AS mau
FROM days
JOIN daily
  ON daily.level = days.level
  AND daily.activity_date <= days.activity_date
  AND DATE_DIFF(days.activity_date, daily.activity_date, DAY) < 30
GROUP BY 1, 2
