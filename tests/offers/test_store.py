"""The recommender's model in a real Redis equals the model in memory that the offline
evaluation uses, whatever size the script calls are cut to (offers/model_script.py), on one
Redis and on a Redis Cluster of three masters (offers/store_topology.py)."""

from __future__ import annotations

import random

import pytest

from backbeat.settings import Settings
from backbeat.settings.redis import RedisSettings
from offers import model_script
from offers.activity import SongPlayed
from offers.evaluation import MemoryModel
from offers.keys import RedisKeys
from offers.recommender import Evidence, ReadPlan, co_played, song_id
from offers.store import RedisOfferStore
from offers.store_config import StoreConfig, sync_client
from offers.store_reads import Read, StoreReads, read_sync
from offers.store_topology import ClusterNodes, SyncClient, servers


def _plays(seed: int) -> list[list[SongPlayed]]:
    """Batches of plays by 40 users over 60 songs of 12 artists, weights exact in binary."""
    rng = random.Random(seed)
    songs = [song_id(f"artist {n % 12}", f"song {n}") for n in range(60)]
    batches, before = [], {user: [] for user in range(40)}  # type: ignore[var-annotated]
    for b in range(30):
        batch = []
        for i in range(rng.randint(1, 40)):
            user, played = rng.randrange(40), rng.choice(songs)
            previous = before[user]
            batch.append(
                SongPlayed(
                    user, b * 1000 + i, played, "a", "s", 1.0, tuple(co_played(previous, played, 5))
                )
            )
            previous.append(played)
        batches.append(batch)
    return batches


@pytest.fixture(params=["one Redis", "Redis Cluster"])
def store_redis(request: pytest.FixtureRequest) -> RedisSettings:
    """An empty Redis: one server, or a Redis Cluster of three masters."""
    stack = "realtime" if request.param == "one Redis" else "cluster_stack"
    settings: Settings = request.getfixturevalue(stack)
    client = sync_client(settings.redis)
    client.flushdb()  # on a cluster: on every master
    assert client.dbsize() == 0
    return settings.redis


def _evidence(client: SyncClient, keys: RedisKeys, plan: ReadPlan) -> Evidence:
    """What Redis holds for `plan`, read as the API reads it."""
    reads = StoreReads(keys)

    def read() -> Read[Evidence]:
        evidence, rest = reads.evidence(plan, (yield reads.evidence_commands(plan)))
        assert rest == []
        return evidence

    return read_sync(client, read())


@pytest.mark.integration
@pytest.mark.parametrize("ops_per_call", [5, model_script.OPS_PER_CALL])
def test_redis_holds_what_the_memory_model_holds(
    store_redis: RedisSettings, ops_per_call: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_script, "OPS_PER_CALL", ops_per_call)
    client = sync_client(store_redis)
    keys = RedisKeys(store_redis.key_prefix)
    store = RedisOfferStore(client, StoreConfig(keys, neighbours_kept=4, judged_share=1.0))
    memory = MemoryModel(neighbours_kept=4, judged_share=1.0)
    for batch in _plays(seed=3):
        store.apply(batch)
        memory.apply(batch)
    for user in range(40):
        plan = memory.plan(user, 10)
        assert _evidence(client, keys, plan) == memory.read(plan), user
    if isinstance(store.topology, ClusterNodes):  # the model really is spread over the nodes
        assert all(server.dbsize() > 10 for server in servers(client))


@pytest.mark.integration
def test_the_unit_is_the_newest_weight_whichever_worker_writes_last(
    store_redis: RedisSettings,
) -> None:
    """Two workers: one behind in event time writes its (smaller) newest weight after the
    other: the shrinkage unit must stay the larger."""
    client = sync_client(store_redis)
    keys = RedisKeys(store_redis.key_prefix)
    store = RedisOfferStore(client, StoreConfig(keys, judged_share=0.0))
    memory = MemoryModel(neighbours_kept=50, judged_share=0.0)
    song = song_id("artist", "song")
    for weight in (4.0, 1.0):  # the ahead worker's batch, then the lagging one's
        batch = [SongPlayed(1, 0, song, "artist", "song", weight, ())]
        store.apply(batch)
        memory.apply(batch)
    plan = memory.plan(1, 10)
    in_redis = _evidence(client, keys, plan)
    assert in_redis.unit == memory.read(plan).unit == 4.0
