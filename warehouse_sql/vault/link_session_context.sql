/* ---
name: vault.link_session_context
grain: one row per session, user (or the ghost user), location and user agent seen together
key: [session_context_hk]
materialized: incremental
description: >
  A session starts logged out (ghost user) and may log in, so a session has one row for the
  guest part and one for the user, each with where and on what client it happened.
columns:
  session_context_hk: {type: STRING, doc: "MD5 of session_hk|user_hk|location_hk|user_agent_hk"}
  session_hk: {type: STRING, doc: the session (vault.hub_session)}
  user_hk: {type: STRING, doc: "the user (vault.hub_user), or the ghost user"}
  location_hk: {type: STRING, doc: the location (vault.hub_location)}
  user_agent_hk: {type: STRING, doc: the client (vault.hub_user_agent)}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: page_view_events}
--- */
WITH pairs AS (
  SELECT session_hk, user_hk, location_hk, user_agent_hk, record_source
  FROM staging.page_views
  GROUP BY session_hk, user_hk, location_hk, user_agent_hk, record_source
),
contexts AS (
  SELECT
    TO_HEX(MD5(CONCAT(session_hk, '|', user_hk, '|', location_hk, '|', user_agent_hk))) AS session_context_hk,
    session_hk, user_hk, location_hk, user_agent_hk, record_source
  FROM pairs
)
SELECT session_context_hk, session_hk, user_hk, location_hk, user_agent_hk, @load_ts AS load_ts, record_source
FROM contexts
WHERE NOT EXISTS (
  SELECT 1 FROM vault.link_session_context AS link WHERE link.session_context_hk = contexts.session_context_hk
)
