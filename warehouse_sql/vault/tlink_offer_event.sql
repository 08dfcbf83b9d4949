/* ---
name: vault.tlink_offer_event
grain: one row per offer event (impression, click, accept or dismiss) reported through the API
key: [offer_event_hk]
materialized: incremental
cluster_by: [offer_hk]
columns:
  offer_event_hk: {type: STRING, doc: "MD5 of offer_id|type|ts (ms)"}
  offer_hk: {type: STRING, doc: the offer (vault.tlink_offer)}
  user_hk: {type: STRING, doc: the user (vault.hub_user)}
  event_type: {type: STRING, doc: "impression, click, accept or dismiss"}
  happened_at: {type: TIMESTAMP, doc: when the API received it}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: offer_events}
--- */
WITH reported AS (
  SELECT * FROM staging.offer_events
  QUALIFY ROW_NUMBER() OVER (PARTITION BY offer_event_hk ORDER BY _ingested_at) = 1
)
SELECT
  offer_event_hk, offer_hk, user_hk, event_type, happened_at, @load_ts AS load_ts, record_source
FROM reported
WHERE NOT EXISTS (
  SELECT 1 FROM vault.tlink_offer_event AS link WHERE link.offer_event_hk = reported.offer_event_hk
)
