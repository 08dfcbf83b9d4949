{#- A link: each combination of hub keys seen together once, keyed by the hash of them all. -#}
WITH pairs AS (
  SELECT {{ hub_keys | join(', ') }}, record_source
  FROM {{ source.model }}{% if source.where %} WHERE {{ source.where }}{% endif %}

  GROUP BY {{ hub_keys | join(', ') }}, record_source
),
keyed AS (
  SELECT {{ hash_key(*hub_keys) }} AS {{ key }}, {{ hub_keys | join(', ') }}, record_source
  FROM pairs
)
SELECT {{ key }}, {{ hub_keys | join(', ') }}, @load_ts AS load_ts, record_source
FROM keyed
WHERE NOT EXISTS (SELECT 1 FROM {{ this }} AS link WHERE link.{{ key }} = keyed.{{ key }})
