/* ---
name: marts.sessions
grain: one row per session
key: [session_key]
description: >
  Recomputed for the sessions with an event in the build's window, from their page views
  since the earliest start among them (at most the day before the window's dates: a session
  that crosses midnight belongs to the day it started), and merged in by key: the other
  sessions of those days stay as they are.
materialized: merge
partition_by: session_date
cluster_by: [user_id]
columns:
  session_key: {type: STRING, doc: "the session's key (vault.hub_session.session_hk)"}
  session_id: {type: INT64, doc: "eventsim's sessionId"}
  user_id: {type: INT64, doc: "the user who was logged in (NULL for a guest-only session)"}
  session_date: {type: DATE, doc: UTC date of started_at}
  started_at: {type: TIMESTAMP, doc: first event}
  ended_at: {type: TIMESTAMP, doc: last event}
  duration_s: {type: INT64, doc: seconds from first to last event}
  events: {type: INT64, doc: page views in the session}
  plays: {type: INT64, doc: songs played in the session}
  ended_by: {type: STRING, doc: "logout, cancellation, or inactivity (the session just stopped)"}
--- */
WITH candidates AS (
  -- the sessions the window's page views belong to
  SELECT DISTINCT session_hk FROM staging.page_views
),
-- Their earliest event: the start stored for those already in the mart, else the window's
-- first event. Page views are stored in time order, so reading from there skips the rest
-- of the day instead of aggregating two days of page views every build.
reach AS (
  SELECT LEAST(COALESCE(MIN(stored.started_at), @touched_since), @touched_since) AS from_ts
  FROM marts.sessions AS stored
  JOIN candidates ON candidates.session_hk = stored.session_key
  WHERE stored.session_date BETWEEN DATE_SUB(@touched_first, INTERVAL 1 DAY) AND @touched_last
),
views AS (
  SELECT
    view.session_hk,
    view.viewed_at,
    view.item_in_session,
    view.page,
    listener.user_id
  FROM vault.t_link_page_view AS view
  JOIN candidates ON candidates.session_hk = view.session_hk
  JOIN vault.hub_user AS listener ON listener.user_hk = view.user_hk
  WHERE view.viewed_date BETWEEN DATE_SUB(@touched_first, INTERVAL 1 DAY) AND @touched_last
    AND view.viewed_at >= (SELECT from_ts FROM reach)
),
-- One pass over the views (a CTE read twice is materialised whole by DuckDB).
ranked AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY session_hk ORDER BY viewed_at DESC, item_in_session DESC) AS from_last
  FROM views
),
per_session AS (
  SELECT
    session_hk,
    MAX(user_id) AS user_id,
    MIN(viewed_at) AS started_at,
    MAX(viewed_at) AS ended_at,
    COUNT(*) AS events,
    COUNTIF(page = 'NextSong') AS plays,
    MAX(IF(from_last = 1, page, NULL)) AS last_page
  FROM ranked
  GROUP BY session_hk
)
SELECT
  per_session.session_hk AS session_key,
  session.session_id,
  per_session.user_id,
  DATE(per_session.started_at) AS session_date,
  per_session.started_at,
  per_session.ended_at,
  TIMESTAMP_DIFF(per_session.ended_at, per_session.started_at, SECOND) AS duration_s,
  per_session.events,
  per_session.plays,
  CASE per_session.last_page
    WHEN 'Logout' THEN 'logout'
    WHEN 'Cancellation Confirmation' THEN 'cancellation'
    ELSE 'inactivity'
  END AS ended_by
FROM per_session
JOIN vault.hub_session AS session ON session.session_hk = per_session.session_hk
WHERE DATE_DIFF(@touched_first, DATE(per_session.started_at), DAY) <= 1
  AND DATE(per_session.started_at) <= @touched_last
