/* ---
name: marts.offer_performance
grain: one row per UTC date of decision and offer type
key: [decided_date, offer_type]
materialized: partitions
refresh: periodic
partition_by: decided_date
description: >
  Offers decided, shown, accepted, and the conversions that followed within
  `BACKBEAT_WAREHOUSE_OFFER_CONVERSION_DAYS` (@conversion_days), for the treated users and,
  beside them, the holdout group that was never shown an offer: the uplift is the difference
  of their conversion rates. A conversion: premium_trial, an upgrade (Submit Upgrade);
  retention_discount, neither a downgrade nor a cancellation; other types, an accept.
  Recomputed, every periodic refresh, for decision dates up to @conversion_days before the
  first date touched since the last (a later upgrade changes an earlier day's figures).
columns:
  decided_date: {type: DATE, doc: UTC date the offers were decided}
  offer_type: {type: STRING, doc: the offer type}
  decided: {type: INT64, doc: offers decided (treated and holdout)}
  treated: {type: INT64, doc: offers made to users outside the holdout}
  shown: {type: INT64, doc: treated offers with an impression reported}
  accepted: {type: INT64, doc: treated offers accepted}
  treated_conversions: {type: INT64, doc: treated offers followed by their goal}
  holdout: {type: INT64, doc: offers the holdout group would have received}
  holdout_conversions: {type: INT64, doc: holdout offers followed by the same goal anyway}
  treated_rate: {type: FLOAT64, doc: treated_conversions / treated (NULL without treated)}
  holdout_rate: {type: FLOAT64, doc: holdout_conversions / holdout (NULL without holdout)}
  uplift: {type: FLOAT64, doc: treated_rate - holdout_rate}
--- */
WITH decided AS (
  SELECT offer_hk, user_hk, offer_type, holdout, decided_at, decided_date
  FROM vault.t_link_offer
  WHERE DATE_DIFF(@touched_first, decided_date, DAY) <= @conversion_days
    AND decided_date <= @touched_last
),
reactions AS (
  SELECT
    offer_hk,
    LOGICAL_OR(event_type = 'impression') AS shown,
    LOGICAL_OR(event_type = 'accept') AS accepted
  FROM vault.t_link_offer_event
  WHERE offer_hk IN (SELECT offer_hk FROM decided)
  GROUP BY offer_hk
),
plan_changes AS (
  SELECT
    decided.offer_hk,
    LOGICAL_OR(later_change.previous_level = 'free') AS upgraded,
    LOGICAL_OR(later_change.previous_level = 'paid') AS downgraded
  FROM decided
  JOIN vault.t_link_plan_change AS later_change
    ON later_change.user_hk = decided.user_hk
    AND later_change.changed_at > decided.decided_at
    AND TIMESTAMP_DIFF(later_change.changed_at, decided.decided_at, SECOND) <= @conversion_days * 86400
  GROUP BY decided.offer_hk
),
cancellations AS (
  SELECT DISTINCT decided.offer_hk
  FROM decided
  JOIN vault.t_link_page_view AS later_view
    ON later_view.user_hk = decided.user_hk
    AND later_view.page = 'Cancellation Confirmation'
    -- the decisions' first date, so the page views of older days are not read
    AND later_view.viewed_date >= DATE_SUB(@touched_first, INTERVAL @conversion_days DAY)
    AND later_view.viewed_at > decided.decided_at
    AND TIMESTAMP_DIFF(later_view.viewed_at, decided.decided_at, SECOND) <= @conversion_days * 86400
),
outcomes AS (
  SELECT
    decided.decided_date,
    decided.offer_type,
    decided.holdout,
    COALESCE(reactions.shown, FALSE) AS shown,
    COALESCE(reactions.accepted, FALSE) AS accepted,
    CASE decided.offer_type
      WHEN 'premium_trial' THEN COALESCE(plan_changes.upgraded, FALSE)
      WHEN 'retention_discount'
        THEN NOT COALESCE(plan_changes.downgraded, FALSE) AND cancellations.offer_hk IS NULL
      ELSE COALESCE(reactions.accepted, FALSE)
    END AS converted
  FROM decided
  LEFT JOIN reactions ON reactions.offer_hk = decided.offer_hk
  LEFT JOIN plan_changes ON plan_changes.offer_hk = decided.offer_hk
  LEFT JOIN cancellations ON cancellations.offer_hk = decided.offer_hk
)
SELECT
  decided_date,
  offer_type,
  COUNT(*) AS decided,
  COUNTIF(NOT holdout) AS treated,
  COUNTIF(NOT holdout AND shown) AS shown,
  COUNTIF(NOT holdout AND accepted) AS accepted,
  COUNTIF(NOT holdout AND converted) AS treated_conversions,
  COUNTIF(holdout) AS holdout,
  COUNTIF(holdout AND converted) AS holdout_conversions,
  SAFE_DIVIDE(COUNTIF(NOT holdout AND converted), COUNTIF(NOT holdout)) AS treated_rate,
  SAFE_DIVIDE(COUNTIF(holdout AND converted), COUNTIF(holdout)) AS holdout_rate,
  SAFE_DIVIDE(COUNTIF(NOT holdout AND converted), COUNTIF(NOT holdout))
    - SAFE_DIVIDE(COUNTIF(holdout AND converted), COUNTIF(holdout)) AS uplift
FROM outcomes
GROUP BY decided_date, offer_type
