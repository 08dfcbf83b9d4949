/* ---
name: vault.pit_user
grain: one row per user per UTC date, from the user's first event to the newest date in the vault
key: [user_hk, snapshot_date]
materialized: merge
partition_by: snapshot_date
cluster_by: [user_hk]
description: >
  Point-in-time table: for each user and day, which satellite rows were in effect at the end
  of that day, so marts join a user's profile and plan as of a date with equality joins. Each
  build recomputes the users its window's events carry (only events add satellite rows), from
  the first date the window touched to the newest date in the vault (a late satellite row
  changes the pointers of every day after it), and every user for the days the vault gained
  since the last build; the rows are merged in by key.
columns:
  user_hk: {type: STRING, doc: the user (vault.hub_user)}
  snapshot_date: {type: DATE, doc: the day (UTC) the pointers are valid at the end of}
  profile_effective_from: {type: TIMESTAMP, doc: "key of the vault.sat_user_profile row in effect (with user_hk)"}
  plan_effective_from: {type: TIMESTAMP, doc: "key of the vault.eff_sat_user_plan row in effect (with user_hk)"}
  level: {type: STRING, doc: the plan level in effect (from that eff_sat_user_plan row)}
--- */
WITH first_days AS (
  SELECT user_hk, MIN(DATE(effective_from)) AS first_day
  FROM vault.eff_sat_user_plan
  GROUP BY user_hk
),
newest AS (
  SELECT MAX(viewed_date) AS last_day FROM vault.t_link_page_view
),
stored AS (
  SELECT MAX(snapshot_date) AS last_day FROM vault.pit_user
),
moved AS (
  SELECT user_hk FROM staging.page_views WHERE user_id IS NOT NULL
  UNION DISTINCT
  SELECT user_hk FROM staging.listens WHERE user_id IS NOT NULL
),
spine AS (
  -- the users the window's events carry, from the first date it touched
  SELECT first_days.user_hk, snapshot_date
  FROM first_days
  JOIN moved ON moved.user_hk = first_days.user_hk
  CROSS JOIN newest
  CROSS JOIN UNNEST(
    GENERATE_DATE_ARRAY(GREATEST(first_days.first_day, @touched_first), newest.last_day)
  ) AS snapshot_date
  UNION DISTINCT
  -- every user, on the days the vault gained since the last build
  SELECT first_days.user_hk, snapshot_date
  FROM first_days
  CROSS JOIN newest
  CROSS JOIN stored
  CROSS JOIN UNNEST(
    GENERATE_DATE_ARRAY(
      GREATEST(first_days.first_day, COALESCE(DATE_ADD(stored.last_day, INTERVAL 1 DAY), first_days.first_day)),
      newest.last_day
    )
  ) AS snapshot_date
),
plans AS (
  SELECT
    spine.user_hk,
    spine.snapshot_date,
    plan.effective_from AS plan_effective_from,
    plan.level
  FROM spine
  JOIN vault.eff_sat_user_plan AS plan
    ON plan.user_hk = spine.user_hk AND DATE(plan.effective_from) <= spine.snapshot_date
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY spine.user_hk, spine.snapshot_date ORDER BY plan.effective_from DESC
  ) = 1
),
profiles AS (
  SELECT spine.user_hk, spine.snapshot_date, MAX(profile.effective_from) AS profile_effective_from
  FROM spine
  JOIN vault.sat_user_profile AS profile
    ON profile.user_hk = spine.user_hk AND DATE(profile.effective_from) <= spine.snapshot_date
  GROUP BY 1, 2
)
SELECT
  plans.user_hk,
  plans.snapshot_date,
  profiles.profile_effective_from,
  plans.plan_effective_from,
  plans.level
FROM plans
LEFT JOIN profiles
  ON profiles.user_hk = plans.user_hk AND profiles.snapshot_date = plans.snapshot_date
