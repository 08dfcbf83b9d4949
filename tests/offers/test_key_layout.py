"""The exact Redis keys Backbeat writes (offers/keys.py): a change here is a new layout, which
must come with a new prefix version, since readers and writers of the old one may run side by
side during a deploy."""

from __future__ import annotations

import time

from redis.crc import key_slot

from backbeat.settings import Settings
from offers.activity import LateEvent, OfferDecided, SessionClosed, SessionUpdated, SongPlayed
from offers.engine import Decision, offer_id
from offers.keys import RedisKeys
from offers.recommender import artist_id, song_id
from offers.store import RedisOfferStore
from offers.store_config import StoreConfig, sync_client

PREFIX = "bb:v3:"


def test_each_key_is_spelled_as_documented() -> None:
    keys = RedisKeys()
    assert keys.prefix == PREFIX
    assert keys.session(7) == "bb:v3:user:{7}:session"
    assert keys.offers(7) == "bb:v3:user:{7}:offers"
    assert keys.recent(7) == "bb:v3:user:{7}:recent"
    assert keys.song("S") == "bb:v3:song:{S}"
    assert keys.neighbours("S") == "bb:v3:song:{S}:neighbours"
    assert keys.artist("A") == "bb:v3:artist:{A}"
    assert keys.artist_neighbours("A") == "bb:v3:artist:{A}:neighbours"
    assert keys.artist_songs("A") == "bb:v3:artist:{A}:songs"
    assert (keys.popular, keys.stats, keys.model) == ("bb:v3:popular", "bb:v3:stats", "bb:v3:model")


def test_each_users_and_each_songs_keys_share_one_redis_cluster_slot() -> None:
    """So a user's reads go to one node, and a song's hash and neighbours are written by one
    script call on a Redis Cluster."""
    keys = RedisKeys()
    for user in (7, 1234567):
        assert (
            len({key_slot(k(user).encode()) for k in (keys.session, keys.offers, keys.recent)}) == 1
        )
    song, artist = song_id("Artist", "One"), artist_id("Artist")
    assert key_slot(keys.song(song).encode()) == key_slot(keys.neighbours(song).encode())
    artist_slots = {
        key_slot(k(artist).encode())
        for k in (keys.artist, keys.artist_neighbours, keys.artist_songs)
    }
    assert len(artist_slots) == 1
    # ... and the keys of different users spread over the slots.
    assert len({key_slot(keys.session(user).encode()) for user in range(1000)}) > 900


def test_a_batch_writes_exactly_these_keys_of_these_types(realtime: Settings) -> None:
    client = sync_client(realtime.redis)
    client.flushdb()
    store = RedisOfferStore(client, StoreConfig(RedisKeys(PREFIX), judged_share=1.0))
    now = int(time.time() * 1000)
    first, second = song_id("Artist", "One"), song_id("Other", "Two")
    decision = Decision(
        offer_id(7, "rule", now), 7, "rule", "premium_trial", {}, "why", 1, now, now + 60_000, False
    )
    store.apply(
        [
            SessionUpdated(7, {"events": 3}),
            OfferDecided(decision),
            SongPlayed(7, now, first, "Artist", "One", 1.0, ()),
            SongPlayed(7, now + 1, second, "Other", "Two", 1.0, (first,)),
            LateEvent("7", now - 10**9, now),
            SessionClosed("7", now - 60_000, now, 3, agrees_with_eventsim=True),
        ]
    )
    artists = [artist_id("Artist"), artist_id("Other")]
    written = {key.decode(): client.type(key).decode() for key in client.keys("*")}
    assert written == {
        "bb:v3:user:{7}:session": "hash",
        "bb:v3:user:{7}:offers": "hash",
        "bb:v3:user:{7}:recent": "list",
        f"bb:v3:song:{{{first}}}": "hash",
        f"bb:v3:song:{{{second}}}": "hash",
        f"bb:v3:song:{{{first}}}:neighbours": "zset",
        f"bb:v3:song:{{{second}}}:neighbours": "zset",
        **{f"bb:v3:artist:{{{artist}}}": "hash" for artist in artists},
        **{f"bb:v3:artist:{{{artist}}}:neighbours": "zset" for artist in artists},
        **{f"bb:v3:artist:{{{artist}}}:songs": "zset" for artist in artists},
        "bb:v3:popular": "zset",
        "bb:v3:stats": "hash",
        "bb:v3:model": "hash",
    }
    global_keys = {"bb:v3:popular", "bb:v3:stats", "bb:v3:model"}
    for key in written.keys() - global_keys:  # every per-user and per-song key expires
        assert client.ttl(key) > 0, key
    for key in global_keys:
        assert client.ttl(key) == -1, key
