/* ---
name: vault.tlink_login
grain: one row per login attempt (an auth_events record)
key: [login_hk]
materialized: incremental
columns:
  login_hk: {type: STRING, doc: "MD5 of sessionId|itemInSession|ts (ms)"}
  session_hk: {type: STRING, doc: the session (vault.hub_session)}
  user_hk: {type: STRING, doc: "the user, or the ghost user for a failed attempt"}
  attempted_at: {type: TIMESTAMP, doc: eventsim ts}
  success: {type: BOOL, doc: whether the login succeeded}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: auth_events}
--- */
WITH attempts AS (
  SELECT * FROM staging.logins
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_hk ORDER BY _ingested_at) = 1
)
SELECT
  event_hk AS login_hk, session_hk, user_hk, attempted_at, success,
  @load_ts AS load_ts, record_source
FROM attempts
WHERE NOT EXISTS (SELECT 1 FROM vault.tlink_login AS link WHERE link.login_hk = attempts.event_hk)
