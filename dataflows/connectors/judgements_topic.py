"""Judged plays to the `recommendation_judgements` topic (keyed by user), so the loader
lands them in raw and `marts.recommendation_quality_daily` shows the recommender's hit rate
per day beside popularity's; and to Prometheus, for whoever watches the dataflow live.

The Redis sink judges each play against what Redis held just before it (offers/store.py)
and hands the judgements here; they are flushed before the batch finishes, as offers are,
and a replay after a crash may send a judgement again (the vault keeps one per play).
"""

from __future__ import annotations

import msgspec
from prometheus_client import Counter

from backbeat.emit.sinks import KafkaSink
from backbeat.events.schemas import JudgementRecord
from backbeat.kafka.topics import JUDGEMENTS_TOPIC
from backbeat.settings.kafka import KafkaSettings
from offers.recommender import Judgement

JUDGED = Counter("backbeat_recommendations_judged_total", "Plays judged against the rankers")
HITS = Counter(
    "backbeat_recommendations_hits_total",
    "Judged plays that were among the top 10 of a ranker",
    ["ranker"],
)


def encode_judgement(judgement: Judgement) -> bytes:
    record = JudgementRecord(
        ts=judgement.ts,
        user_id=judgement.user_id,
        song_id=judgement.song_id,
        served=judgement.served,
        recommender_hit=judgement.recommender,
        popularity_hit=judgement.popularity,
    )
    return msgspec.json.encode(record) + b"\n"


class JudgementsTopic:
    def __init__(self, settings: KafkaSettings) -> None:
        self._sink = KafkaSink(settings, linger_ms=20, patient=True)

    def send(self, judgements: list[Judgement]) -> None:
        for judgement in judgements:
            JUDGED.inc()
            HITS.labels("recommender").inc(judgement.recommender)
            HITS.labels("popularity").inc(judgement.popularity)
            key = str(judgement.user_id).encode()
            self._sink.write(JUDGEMENTS_TOPIC, key, encode_judgement(judgement))
        if judgements:
            self._sink.flush()

    def close(self) -> None:
        self._sink.close()
