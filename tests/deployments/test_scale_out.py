"""The platform beyond one node, run on one machine (#19): a Kafka cluster of three brokers,
a Redis Cluster of three masters, and two processes of each dataflow (-i/-a). One broker is
stopped while the traffic is produced. Then raw holds exactly what Kafka holds, and the
sessions, offers and recommendations the two sessions processes left on the Redis Cluster
are those one process leaves on one Redis from the same events, and the API serves them
from the cluster."""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from pathlib import Path

import msgspec
import pytest
from fastapi.testclient import TestClient

from backbeat import stack
from backbeat.events.codec import decode
from backbeat.events.keys import kafka_key
from backbeat.events.schemas import EventRecord
from backbeat.kafka.admin import broker_ids, watermarks
from backbeat.kafka.producer import KafkaProducer
from backbeat.kafka.topics import EVENT_TOPICS
from backbeat.settings import Settings, with_overrides
from backbeat.stack.private import free_port, private_stack_settings
from backbeat.warehouse import open_warehouse
from offers.api import create_app
from offers.store import RedisOfferStore
from offers.store_config import StoreConfig, sync_client
from offers.store_topology import ClusterNodes, OneRedis, servers
from tests.dataflows.processes import cluster_process, generate_with_taste, read_topic
from tests.kafka.topics import empty_topics
from tests.waits import PATIENCE_S

KEY = "scale-out"
#: Idle seconds before a dataflow process ends: longer than a broker's controlled shutdown.
IDLE_S = 10


class _Line(msgspec.Struct):
    userId: int | None = None


def _generate(directory: Path) -> dict[str, list[bytes]]:
    """A day of 400 users with tastes, over a catalogue small enough that no neighbour set
    or artist's songs fill up: no trim, so batching cannot change what is kept."""
    generate_with_taste(directory, 400, (2, 1), seed=19, catalogue=400)
    return {topic: (directory / topic).read_bytes().splitlines() for topic in EVENT_TOPICS}


def _produce(settings: Settings, lines: dict[str, list[bytes]], part: slice) -> Counter[str]:
    """`part` of each topic's lines, keyed as Backbeat's producers key them (by user, a guest
    by session: each one's events stay in order), each confirmed by acks=all."""
    producer = KafkaProducer(settings.kafka)
    sent: Counter[str] = Counter()
    for topic, records in lines.items():
        for line in records[part]:
            record = decode(topic, line)
            assert isinstance(record, EventRecord)
            producer.write(topic, kafka_key(record), line)
            sent[topic] += 1
    producer.close()
    return sent


def _start(settings: Settings, command: str, processes: int) -> list[subprocess.Popen[str]]:
    """`backbeat <command>` as `processes` processes of one Bytewax cluster (-i/-a)."""
    addresses = ";".join(f"127.0.0.1:{free_port()}" for _ in range(processes))
    cluster = addresses if processes > 1 else None
    return [cluster_process(settings, command, k, cluster, IDLE_S) for k in range(processes)]


def _finish(processes: list[subprocess.Popen[str]]) -> str:
    """Wait for each to end, which must be cleanly; all they printed."""
    printed = []
    for process in processes:
        out, errors = process.communicate(timeout=PATIENCE_S)
        assert process.returncode == 0, errors[-3000:]
        printed += [out, errors]
    return "\n".join(printed)


def _kafka_counts(settings: Settings) -> Counter[str]:
    counts: Counter[str] = Counter()
    for (topic, _), (low, high) in watermarks(settings.kafka, EVENT_TOPICS).items():
        counts[topic] += high - low
    return counts


def _user_state(store: RedisOfferStore, user: int) -> tuple[object, object, object]:
    """What the store serves for a user: live session, every offer decided (expired too),
    recommendations (scores to 5 decimals, ties by song id: sums of the same floats added in
    another order may differ in their last bits, which must not reorder equal scores)."""
    ranked = sorted(
        ({**r, "score": round(r["score"], 5)} for r in store.recommendations(user, 10)),
        key=lambda r: (-r["score"], r["song_id"]),
    )
    return store.session(user), store.offers(user, now_ms=0), ranked


@pytest.mark.integration
def test_three_brokers_a_redis_cluster_and_two_processes_each_lose_and_change_nothing(
    cluster_stack: Settings, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = with_overrides(
        cluster_stack,
        warehouse={"dir": tmp_path / "warehouse"},
        loader={"recovery_dir": tmp_path / "loader", "metrics_port": 0, "snapshot_seconds": 1},
        sessions={
            "recovery_dir": tmp_path / "sessions",
            "metrics_port": 0,
            "snapshot_seconds": 1,
            "holdout_share": 0.0,
            "recommendations_judged_share": 0.0,  # which ranker serves depends on judging
            "neighbours_kept": 1000,
        },
    )
    empty_topics(settings.kafka)
    cluster_redis = sync_client(settings.redis)
    cluster_redis.flushdb()
    lines = _generate(tmp_path / "events")
    third = min(len(records) for records in lines.values()) // 3

    loaders = _start(settings, "load", 2)
    sessions = _start(settings, "sessions", 2)
    sent = _produce(settings, lines, slice(0, third))
    # The second broker stops (a controlled shutdown) while the next third is produced, and
    # the last third goes to the two brokers left.
    stopping = threading.Thread(target=stack.down, args=(settings, ["kafka-2"]))
    stopping.start()
    sent += _produce(settings, lines, slice(third, 2 * third))
    stopping.join(timeout=PATIENCE_S)
    assert broker_ids(settings.kafka) == {1, 3}, "the second broker is still up"
    sent += _produce(settings, lines, slice(2 * third, None))
    printed = _finish(loaders + sessions)
    assert settings.redis.password is not None  # the cluster has one: it never shows
    assert "sessions:" in printed and settings.redis.password.get_secret_value() not in printed
    stack.up(settings, ["kafka-2"])  # whole again for the next test

    # raw = Kafka, exactly: every record once, none in the dead letters.
    produced = {topic: len(records) for topic, records in lines.items()}
    assert sent == produced
    assert _kafka_counts(settings) == produced
    warehouse = open_warehouse(settings)
    raw = warehouse.raw_counts()
    for topic, count in produced.items():
        distinct = warehouse.query(
            f"SELECT COUNT(DISTINCT FORMAT('%d/%d', _partition, _offset)) FROM raw.{topic}"
        )
        assert (raw[topic], int(distinct.rows[0][0])) == (count, count), topic
    assert raw["dead_letter"] == 0

    # The same page views through one sessions process into one Redis.
    single = with_overrides(
        private_stack_settings(settings, tmp_path_factory.mktemp("single") / "state"),
        kafka={"bootstrap_servers": settings.kafka.bootstrap_servers},
        redis={"cluster": False},
        sessions={"recovery_dir": tmp_path / "sessions-single"},
    )
    stack.up(single, ["redis"])
    try:
        _finish(_start(single, "sessions", 1))
        config = StoreConfig.from_settings(settings)
        on_cluster = RedisOfferStore(cluster_redis, config)
        on_one = RedisOfferStore(sync_client(single.redis), config)
        assert isinstance(on_cluster.topology, ClusterNodes)
        assert isinstance(on_one.topology, OneRedis)
        assert all(server.dbsize() > 100 for server in servers(cluster_redis))

        users = sorted({u for line in lines["page_view_events"] if (u := _user(line))})
        expected = {user: _user_state(on_one, user) for user in users}
        assert {user: _user_state(on_cluster, user) for user in users} == expected
        with_offers = [user for user, (_, offers, _) in expected.items() if offers]
        with_recommendations = [user for user, (_, _, found) in expected.items() if found]
        print(
            f"{len(users)} users: {len(with_offers)} with offers, "
            f"{len(with_recommendations)} with recommendations, the same on both"
        )
        assert len(with_offers) > 20 and len(with_recommendations) > 30
        assert on_cluster.stats() == on_one.stats()

        # Each offer decided once per run: the topic holds each id twice (once per run).
        decided = Counter(
            msgspec.json.decode(v)["offer_id"] for v in read_topic(settings, "offers")
        )
        assert decided and set(decided.values()) == {2}

        # The API on the Redis Cluster serves what the store holds there (equal to the
        # single store's, above).
        api = with_overrides(settings, api={"keys": [KEY]})
        with TestClient(create_app(api)) as client:
            for user in with_offers[:20] + with_recommendations[:20]:
                session, offers, _ = expected[user]
                found = client.get(
                    f"/v1/users/{user}/recommendations?k=10", headers={"X-API-Key": KEY}
                )
                assert found.status_code == 200, found.text
                assert found.json()["recommendations"] == on_cluster.recommendations(user, 10)
                found = client.get(f"/v1/users/{user}/session", headers={"X-API-Key": KEY})
                assert found.status_code == 200, found.text
                assert found.json()["features"] == session
                found = client.get(f"/v1/users/{user}/offers", headers={"X-API-Key": KEY})
                assert found.status_code == 200, found.text
                active = [o["offer_id"] for o in found.json()["offers"]]
                assert set(active) <= {o["offer_id"] for o in offers}  # the unexpired ones
    finally:
        stack.down(single, ["redis"])


def _user(line: bytes) -> int | None:
    return msgspec.json.decode(line, type=_Line).userId
