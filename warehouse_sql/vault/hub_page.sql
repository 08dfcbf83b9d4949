/* ---
name: vault.hub_page
grain: one row per page name
key: [page_hk]
materialized: incremental
columns:
  page_hk: {type: STRING, doc: MD5 of the page name}
  page: {type: STRING, doc: "eventsim page (NextSong, Home, Submit Upgrade, ...)"}
  load_ts: {type: TIMESTAMP, doc: when the build that added the row ran}
  record_source: {type: STRING, doc: page_view_events}
--- */
WITH first_seen AS (
  SELECT page_hk, page, record_source
  FROM staging.page_views
  GROUP BY page_hk, page, record_source
)
SELECT page_hk, page, @load_ts AS load_ts, record_source
FROM first_seen
WHERE NOT EXISTS (SELECT 1 FROM vault.hub_page AS hub WHERE hub.page_hk = first_seen.page_hk)
