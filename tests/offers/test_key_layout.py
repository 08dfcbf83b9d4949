"""The exact Redis keys Backbeat writes (offers/keys.py): a change here is a new layout, which
must come with a new prefix version, since readers and writers of the old one may run side by
side during a deploy."""

from __future__ import annotations

import time

from backbeat.settings import Settings
from offers.activity import LateEvent, OfferDecided, SessionClosed, SessionUpdated, SongPlayed
from offers.engine import Decision, offer_id
from offers.keys import RedisKeys
from offers.recommender import artist_id, song_id
from offers.store import RedisOfferStore
from offers.store_config import StoreConfig, sync_client

PREFIX = "bb:v2:"


def test_each_key_is_spelled_as_documented() -> None:
    keys = RedisKeys()
    assert keys.prefix == PREFIX
    assert keys.session(7) == "bb:v2:user:7:session"
    assert keys.offers(7) == "bb:v2:user:7:offers"
    assert keys.recent(7) == "bb:v2:user:7:recent"
    assert keys.song("S") == "bb:v2:song:S"
    assert keys.neighbours("S") == "bb:v2:song:S:neighbours"
    assert keys.artist("A") == "bb:v2:artist:A"
    assert keys.artist_neighbours("A") == "bb:v2:artist:A:neighbours"
    assert keys.artist_songs("A") == "bb:v2:artist:A:songs"
    assert (keys.popular, keys.stats, keys.model) == ("bb:v2:popular", "bb:v2:stats", "bb:v2:model")


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
        "bb:v2:user:7:session": "hash",
        "bb:v2:user:7:offers": "hash",
        "bb:v2:user:7:recent": "list",
        f"bb:v2:song:{first}": "hash",
        f"bb:v2:song:{second}": "hash",
        f"bb:v2:song:{first}:neighbours": "zset",
        f"bb:v2:song:{second}:neighbours": "zset",
        **{f"bb:v2:artist:{artist}": "hash" for artist in artists},
        **{f"bb:v2:artist:{artist}:neighbours": "zset" for artist in artists},
        **{f"bb:v2:artist:{artist}:songs": "zset" for artist in artists},
        "bb:v2:popular": "zset",
        "bb:v2:stats": "hash",
        "bb:v2:model": "hash",
    }
    global_keys = {"bb:v2:popular", "bb:v2:stats", "bb:v2:model"}
    for key in written.keys() - global_keys:  # every per-user and per-song key expires
        assert client.ttl(key) > 0, key
    for key in global_keys:
        assert client.ttl(key) == -1, key
