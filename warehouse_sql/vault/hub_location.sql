/* ---
name: vault.hub_location
grain: one row per (zip, city, state) seen, plus the ghost location (32 zeros) for events without one
key: [location_hk]
materialized: incremental
columns:
  location_hk: {type: STRING, doc: "MD5 of zip|city|state (missing parts as empty strings)"}
  zip: {type: STRING, doc: ZIP code (absent in the old format)}
  city: {type: STRING, doc: city}
  state: {type: STRING, doc: two-letter state}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: the topic the location was first seen in}
--- */
WITH seen AS (
  SELECT location_hk, zip, city, state, record_source, viewed_at AS seen_at
  FROM staging.page_views
  UNION ALL
  SELECT REPEAT('0', 32), NULL, NULL, NULL, 'ghost', TIMESTAMP '1970-01-01 00:00:00+00'
),
per_source AS (
  SELECT location_hk, zip, city, state, record_source, MIN(seen_at) AS seen_at
  FROM seen
  GROUP BY location_hk, zip, city, state, record_source
),
first_seen AS (
  SELECT * FROM per_source
  QUALIFY ROW_NUMBER() OVER (PARTITION BY location_hk ORDER BY seen_at, record_source) = 1
)
SELECT location_hk, zip, city, state, @load_ts AS load_ts, record_source
FROM first_seen
WHERE NOT EXISTS (SELECT 1 FROM vault.hub_location AS hub WHERE hub.location_hk = first_seen.location_hk)
