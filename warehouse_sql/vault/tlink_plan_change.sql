/* ---
name: vault.tlink_plan_change
grain: one row per plan change (a status_change_events record)
key: [plan_change_hk]
materialized: incremental
columns:
  plan_change_hk: {type: STRING, doc: "MD5 of sessionId|itemInSession|ts (ms)"}
  session_hk: {type: STRING, doc: the session (vault.hub_session)}
  user_hk: {type: STRING, doc: the user (vault.hub_user)}
  changed_at: {type: TIMESTAMP, doc: eventsim ts}
  previous_level: {type: STRING, doc: the level before (what eventsim writes)}
  new_level: {type: STRING, doc: the level after}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: status_change_events}
--- */
WITH changes AS (
  SELECT * FROM staging.plan_changes
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_hk ORDER BY _ingested_at) = 1
)
SELECT
  event_hk AS plan_change_hk, session_hk, user_hk, changed_at, previous_level, new_level,
  @load_ts AS load_ts, record_source
FROM changes
WHERE NOT EXISTS (SELECT 1 FROM vault.tlink_plan_change AS link WHERE link.plan_change_hk = changes.event_hk)
