{#- A satellite: a parent's payload over time, a row each time it differs from the one
    before it in event time (by hashdiff). -#}
WITH observed AS (
{% for source in sources %}
{% if not loop.first %}
  UNION ALL
{% endif %}
  SELECT {{ parent }}, {{ payload | join(', ') }}, {{ source.at }} AS effective_from, {% if one_per_instant_by %}{{ one_per_instant_by }}, {% endif %}record_source
  FROM {{ source.model }}{% if source.where %} WHERE {{ source.where }}{% endif %}

{% endfor %}
),
{% if first_sighting_only %}
-- The parent's key fixes the payload, so the first sighting per source is all the timeline
-- needs (and the window then sorts one row per parent, not one per event).
observed_first AS (
  SELECT {{ parent }}, {{ payload | join(', ') }}, record_source, MIN(effective_from) AS effective_from
  FROM observed
  GROUP BY {{ parent }}, {{ payload | join(', ') }}, record_source
),
{% endif %}
hashed AS (
  SELECT {{ parent }}, {{ hash_key(*hashdiff) }} AS hashdiff, effective_from, {{ payload | join(', ') }}, {% if one_per_instant_by %}{{ one_per_instant_by }}, {% endif %}record_source
  FROM {% if first_sighting_only %}observed_first{% else %}observed{% endif %}

),
candidates AS (
  SELECT {{ parent }}, hashdiff, effective_from, {{ payload | join(', ') }}, record_source
  FROM hashed
{% if one_per_instant_by %}
  -- One payload per instant: its last event's. An instant the satellite already holds stays
  -- as it is, so the key ({{ parent }}, effective_from) is unique.
  WHERE NOT EXISTS (
    SELECT 1 FROM {{ this }} AS stored
    WHERE stored.{{ parent }} = hashed.{{ parent }} AND stored.effective_from = hashed.effective_from
  )
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY {{ parent }}, effective_from ORDER BY {{ one_per_instant_by }} DESC, hashdiff, record_source
  ) = 1
{% endif %}
),
timeline AS (
  SELECT {{ parent }}, hashdiff, effective_from, {{ payload | join(', ') }}, record_source, FALSE AS is_new
  FROM {{ this }}
  WHERE {{ parent }} IN (SELECT {{ parent }} FROM candidates)
  UNION ALL
  SELECT *, TRUE AS is_new FROM candidates
),
changes AS (
  SELECT *, LAG(hashdiff) OVER (PARTITION BY {{ parent }} ORDER BY effective_from, is_new, hashdiff, record_source) AS previous
  FROM timeline
)
SELECT {{ parent }}, hashdiff, effective_from, {{ payload | join(', ') }}, @load_ts AS load_ts, record_source
FROM changes
WHERE is_new AND (previous IS NULL OR previous != hashdiff)
