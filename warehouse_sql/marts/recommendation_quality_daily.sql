/* ---
name: marts.recommendation_quality_daily
grain: one row per UTC date of play
key: [play_date]
materialized: partitions
refresh: periodic
partition_by: play_date
description: >
  The recommender's quality as users met it, per day: of the plays the sessions dataflow
  judged, the share that were among the 10 songs the recommender would have served just
  before them (hit@10), beside the same share for the 10 most popular unheard songs (the
  baseline), and their ratio. `served_popularity` counts plays judged while the API served
  popularity because it had been hitting more (offers/recommender.py `serve`).
  Recomputed, every periodic refresh, for the dates touched since the last.
columns:
  play_date: {type: DATE, doc: UTC date of the plays}
  plays_judged: {type: INT64, doc: plays judged that day}
  recommender_hits: {type: INT64, doc: judged plays among the recommender's top 10}
  popularity_hits: {type: INT64, doc: judged plays among the most popular unheard 10}
  recommender_hit_rate: {type: FLOAT64, doc: recommender_hits / plays_judged}
  popularity_hit_rate: {type: FLOAT64, doc: popularity_hits / plays_judged}
  ratio: {type: FLOAT64, doc: recommender_hit_rate / popularity_hit_rate (NULL without popularity hits)}
  served_popularity: {type: INT64, doc: judged plays while popularity was being served}
--- */
SELECT
  played_date AS play_date,
  COUNT(*) AS plays_judged,
  COUNTIF(recommender_hit) AS recommender_hits,
  COUNTIF(popularity_hit) AS popularity_hits,
  COUNTIF(recommender_hit) / COUNT(*) AS recommender_hit_rate,
  COUNTIF(popularity_hit) / COUNT(*) AS popularity_hit_rate,
  SAFE_DIVIDE(COUNTIF(recommender_hit), COUNTIF(popularity_hit)) AS ratio,
  COUNTIF(served = 'popularity') AS served_popularity
FROM vault.t_link_recommendation_judgement
WHERE played_date BETWEEN @touched_first AND @touched_last
GROUP BY played_date
