/* ---
name: vault.sat_user_profile
grain: one row per user per change of profile (name, gender, registration)
key: [user_hk, effective_from]
materialized: incremental
cluster_by: [user_hk]
description: >
  A row is added when a user's profile differs from the row before it in event time, so
  repeated events add nothing. eventsim never changes a profile: expect one row per user.
columns:
  user_hk: {type: STRING, doc: the user (vault.hub_user)}
  hashdiff: {type: STRING, doc: "MD5 of the payload: first_name|last_name|gender|registration (ms)"}
  effective_from: {type: TIMESTAMP, doc: event time of the first event showing this profile}
  first_name: {type: STRING, doc: first name}
  last_name: {type: STRING, doc: last name}
  gender: {type: STRING, doc: M or F}
  registered_at: {type: TIMESTAMP, doc: eventsim registration time}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: the topic the change was seen in}
--- */
WITH observed AS (
  SELECT user_hk, first_name, last_name, gender, registered_at, viewed_at AS seen_at, record_source
  FROM staging.page_views
  WHERE user_id IS NOT NULL
  UNION ALL
  SELECT user_hk, first_name, last_name, gender, registered_at, played_at, record_source
  FROM staging.listens
  WHERE user_id IS NOT NULL
),
candidates AS (
  SELECT
    user_hk,
    TO_HEX(MD5(CONCAT(
      COALESCE(first_name, ''), '|', COALESCE(last_name, ''), '|', COALESCE(gender, ''), '|',
      COALESCE(CAST(UNIX_MILLIS(registered_at) AS STRING), '')
    ))) AS hashdiff,
    seen_at AS effective_from, first_name, last_name, gender, registered_at, record_source
  FROM observed
),
timeline AS (
  SELECT user_hk, hashdiff, effective_from, first_name, last_name, gender, registered_at,
         record_source, FALSE AS is_new
  FROM vault.sat_user_profile
  WHERE user_hk IN (SELECT user_hk FROM candidates)
  UNION ALL
  SELECT *, TRUE AS is_new FROM candidates
),
changes AS (
  SELECT *, LAG(hashdiff) OVER (PARTITION BY user_hk ORDER BY effective_from, is_new, hashdiff, record_source) AS previous
  FROM timeline
)
SELECT user_hk, hashdiff, effective_from, first_name, last_name, gender, registered_at,
       @load_ts AS load_ts, record_source
FROM changes
WHERE is_new AND (previous IS NULL OR previous != hashdiff)
