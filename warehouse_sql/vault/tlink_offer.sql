/* ---
name: vault.tlink_offer
grain: one row per offer decided (an offer id; a replayed decision adds nothing)
key: [offer_hk]
materialized: incremental
partition_by: decided_date
cluster_by: [user_hk]
description: >
  The offers the sessions dataflow decided, holdout included (`holdout`: the user was not
  shown it, only logged as "would have received"). A transactional link from the user to
  the offer's details; the offer id stays as a degenerate key.
columns:
  offer_hk: {type: STRING, doc: MD5 of offer_id}
  offer_id: {type: STRING, doc: the offer's id (from user, rule and triggering event time)}
  user_hk: {type: STRING, doc: the user (vault.hub_user)}
  rule_id: {type: STRING, doc: the rule that decided it (offers/rules.yaml)}
  offer_type: {type: STRING, doc: "premium_trial, retention_discount, apology_credit, artist_spotlight"}
  reason: {type: STRING, doc: why, in words}
  priority: {type: INT64, doc: higher is shown first}
  holdout: {type: BOOL, doc: in the holdout group (not shown)}
  payload: {type: STRING, doc: the offer's details (JSON)}
  decided_at: {type: TIMESTAMP, doc: event time of the page view that triggered it}
  decided_date: {type: DATE, doc: UTC date of decided_at}
  expires_at: {type: TIMESTAMP, doc: when the offer lapses}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: offers}
--- */
WITH offers AS (
  SELECT * FROM staging.offers
  QUALIFY ROW_NUMBER() OVER (PARTITION BY offer_hk ORDER BY _ingested_at) = 1
)
SELECT
  offer_hk, offer_id, user_hk, rule_id, offer_type, reason, priority, holdout, payload,
  decided_at, DATE(decided_at) AS decided_date, expires_at, @load_ts AS load_ts, record_source
FROM offers
WHERE NOT EXISTS (SELECT 1 FROM vault.tlink_offer AS link WHERE link.offer_hk = offers.offer_hk)
