/* ---
name: marts.subscriptions_daily
grain: one row per UTC date with any event
key: [activity_date]
description: >
  Recomputed, every periodic refresh, for the dates touched since the last (free users are a
  distinct count).
materialized: partitions
refresh: periodic
partition_by: activity_date
columns:
  activity_date: {type: DATE, doc: UTC date}
  upgrades: {type: INT64, doc: "plan changes free -> paid (Submit Upgrade)"}
  downgrades: {type: INT64, doc: "plan changes paid -> free (Submit Downgrade)"}
  cancellations: {type: INT64, doc: Cancellation Confirmation pages (a user leaving)}
  free_users: {type: INT64, doc: distinct users active on the free level that day}
  conversion_rate: {type: FLOAT64, doc: "upgrades / free_users (NULL when no free user was active)"}
--- */
WITH changes AS (
  SELECT
    DATE(changed_at) AS activity_date,
    COUNTIF(new_level = 'paid') AS upgrades,
    COUNTIF(new_level = 'free') AS downgrades
  FROM vault.t_link_plan_change
  WHERE DATE(changed_at) BETWEEN @touched_first AND @touched_last
  GROUP BY 1
),
activity AS (
  SELECT
    viewed_date AS activity_date,
    COUNTIF(page = 'Cancellation Confirmation') AS cancellations,
    COUNT(DISTINCT IF(level = 'free' AND user_hk != REPEAT('0', 32), user_hk, NULL)) AS free_users
  FROM vault.t_link_page_view
  WHERE viewed_date BETWEEN @touched_first AND @touched_last
  GROUP BY 1
)
SELECT
  activity.activity_date,
  COALESCE(changes.upgrades, 0) AS upgrades,
  COALESCE(changes.downgrades, 0) AS downgrades,
  activity.cancellations,
  activity.free_users,
  SAFE_DIVIDE(COALESCE(changes.upgrades, 0), activity.free_users) AS conversion_rate
FROM activity
LEFT JOIN changes ON changes.activity_date = activity.activity_date
