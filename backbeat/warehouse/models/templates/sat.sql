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
-- The event time each payload of a parent spans: a payload rarely changes, so a parent
-- has a handful of spans however many events it has.
spans AS (
  SELECT {{ parent }}, MIN(effective_from) AS first_at, MAX(effective_from) AS last_at
  FROM observed
  GROUP BY {{ parent }}, {{ payload | join(', ') }}
),
stored AS (
  SELECT {{ parent }}, hashdiff, effective_from, {{ payload | join(', ') }}, record_source
  FROM {{ this }}
  WHERE {{ parent }} IN (SELECT {{ parent }} FROM spans)
),
-- Parents whose spans (or stored rows) touch in event time: a payload that comes back, two
-- payloads at one instant, an event older than a stored change. They need every event.
interleaved AS (
  SELECT DISTINCT {{ parent }}
  FROM (
    SELECT
      {{ parent }}, first_at,
      MAX(last_at) OVER (
        PARTITION BY {{ parent }} ORDER BY first_at, last_at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
      ) AS reached
    FROM (
      SELECT {{ parent }}, first_at, last_at FROM spans
      UNION ALL
      SELECT {{ parent }}, effective_from, effective_from FROM stored
    )
  )
  WHERE first_at <= reached
),
-- Any other parent can change only where a span begins, so the events at those instants
-- give the same timeline as all of its events: the per-event work below shrinks from every
-- event to a few per parent. (The instants are kept whole: one_per_instant_by reads them.)
span_starts AS (
  SELECT DISTINCT spans.{{ parent }}, spans.first_at
  FROM spans
  LEFT JOIN interleaved ON interleaved.{{ parent }} = spans.{{ parent }}
  WHERE interleaved.{{ parent }} IS NULL
),
needed AS (
  SELECT observed.*
  FROM observed
  JOIN span_starts
    ON span_starts.{{ parent }} = observed.{{ parent }} AND span_starts.first_at = observed.effective_from
  UNION ALL
  SELECT observed.*
  FROM observed
  JOIN interleaved ON interleaved.{{ parent }} = observed.{{ parent }}
),
hashed AS (
  SELECT {{ parent }}, {{ hash_key(*hashdiff) }} AS hashdiff, effective_from, {{ payload | join(', ') }}, {% if one_per_instant_by %}{{ one_per_instant_by }}, {% endif %}record_source
  FROM needed
),
candidates AS (
  SELECT {{ parent }}, hashdiff, effective_from, {{ payload | join(', ') }}, record_source
  FROM hashed
{% if one_per_instant_by %}
  -- One payload per instant: its last event's. An instant the satellite already holds stays
  -- as it is, so the key ({{ parent }}, effective_from) is unique.
  WHERE NOT EXISTS (
    SELECT 1 FROM stored
    WHERE stored.{{ parent }} = hashed.{{ parent }} AND stored.effective_from = hashed.effective_from
  )
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY {{ parent }}, effective_from ORDER BY {{ one_per_instant_by }} DESC, hashdiff, record_source
  ) = 1
{% endif %}
),
timeline AS (
  SELECT *, FALSE AS is_new FROM stored
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
