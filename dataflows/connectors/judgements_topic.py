"""Judged plays to the `recommendation_judgements` topic (keyed by user), so the loader
lands them in raw and `marts.recommendation_quality_daily` shows the recommender's hit rate
per day beside popularity's; and to Prometheus, for whoever watches the dataflow live.

The Redis sink judges each play against what Redis held just before it (offers/store.py)
and hands the judgements here; they are flushed before the batch finishes, as offers are,
and a replay after a crash may send a judgement again (the vault keeps one per play).
"""

from __future__ import annotations

from prometheus_client import Counter

from backbeat.events.schemas import JudgementRecord
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings.kafka import KafkaSettings
from offers.recommender import Judgement

JUDGED = Counter("backbeat_recommendations_judged_total", "Plays judged against the rankers")
HITS = Counter(
    "backbeat_recommendations_hits_total",
    "Judged plays that were among the top 10 of a ranker",
    ["ranker"],
)


def judgement_record(judgement: Judgement) -> JudgementRecord:
    return JudgementRecord(
        ts=judgement.ts,
        user_id=judgement.user_id,
        song_id=judgement.song_id,
        served=judgement.served,
        recommender_hit=judgement.recommender,
        popularity_hit=judgement.popularity,
    )


class JudgementsTopic:
    def __init__(self, settings: KafkaSettings) -> None:
        self._producer = KafkaProducer(settings, linger_ms=20, patient=True)

    def send(self, judgements: list[Judgement]) -> None:
        for judgement in judgements:
            JUDGED.inc()
            HITS.labels("recommender").inc(judgement.recommender)
            HITS.labels("popularity").inc(judgement.popularity)
            self._producer.publish(judgement_record(judgement), str(judgement.user_id).encode())
        if judgements:
            self._producer.flush()

    def close(self) -> None:
        self._producer.close()
