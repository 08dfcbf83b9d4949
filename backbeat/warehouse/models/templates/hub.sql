{#- A hub: each business key once, with the source and the time it was first seen in. -#}
{%- set carried = business_keys + first_of %}
WITH seen AS (
{% for source in sources %}
{% if not loop.first %}
  UNION ALL
{% endif %}
  SELECT {{ key }}, {{ carried | join(', ') }}, record_source, {{ source.at }} AS seen_at
  FROM {{ source.model }}{% if source.where %} WHERE {{ source.where }}{% endif %}

{% endfor %}
{% if ghost %}
  UNION ALL
  SELECT {{ ghost_key() }}, {% for column in carried %}CAST(NULL AS {{ types[column] }}), {% endfor %}'ghost', TIMESTAMP '1970-01-01 00:00:00+00'
{% endif %}
),
per_source AS (
  SELECT {{ key }}, {{ business_keys | join(', ') }}, {% for column in first_of %}MIN({{ column }}) AS {{ column }}, {% endfor %}record_source, MIN(seen_at) AS seen_at
  FROM seen
  GROUP BY {{ key }}, {{ business_keys | join(', ') }}, record_source
),
first_seen AS (
  SELECT * FROM per_source
  QUALIFY ROW_NUMBER() OVER (PARTITION BY {{ key }} ORDER BY seen_at, record_source) = 1
)
SELECT {{ key }}, {{ carried | join(', ') }}, @load_ts AS load_ts, record_source
FROM first_seen
WHERE NOT EXISTS (SELECT 1 FROM {{ this }} AS hub WHERE hub.{{ key }} = first_seen.{{ key }})
