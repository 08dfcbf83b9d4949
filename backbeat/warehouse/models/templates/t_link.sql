{#- A transactional link: each event once (the first copy loaded), with its hub keys and payload. -#}
WITH events AS (
  SELECT * FROM {{ source.model }}
  -- NULLS LAST (never NULL: the load stamp) lets DuckDB keep the first copy with a hash
  -- aggregate instead of sorting every event: BigQuery's default, NULLS FIRST, blocks that.
  QUALIFY ROW_NUMBER() OVER (PARTITION BY {{ source.key }} ORDER BY _ingested_at NULLS LAST) = 1
){% if event_date and event_date.prune %},
-- An event's key fixes its date, so only the stored rows of the dates the build's raw rows
-- carry can match (partition pruning on BigQuery, row-group pruning on DuckDB).
stored AS (
  SELECT {{ key }} FROM {{ this }}
  WHERE {{ event_date.column }} BETWEEN @touched_first AND @touched_last
){% endif %}

SELECT
  {{ source.key }} AS {{ key }}, {{ payload | join(', ') }},{% if event_date %} DATE({{ event_date.of }}) AS {{ event_date.column }},{% endif %}

  @load_ts AS load_ts, record_source
FROM events
WHERE NOT EXISTS (
  SELECT 1 FROM {% if event_date and event_date.prune %}stored{% else %}{{ this }}{% endif %} AS link
  WHERE link.{{ key }} = events.{{ source.key }}
)
