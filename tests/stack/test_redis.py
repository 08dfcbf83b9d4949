"""Talk to the redis-server the session fixture started."""

from __future__ import annotations

from backbeat.settings import Settings
from offers.store_config import sync_client


def test_redis_round_trip_with_ttl(local_stack: Settings) -> None:
    client = sync_client(local_stack.redis)
    key = f"{local_stack.redis.key_prefix}test:roundtrip"
    with client.pipeline() as pipe:
        pipe.hset(key, mapping={"songs": 3, "level": "free"})
        pipe.expire(key, 60)
        pipe.execute()
    assert client.hgetall(key) == {b"songs": b"3", b"level": b"free"}
    assert 0 < client.ttl(key) <= 60
    client.delete(key)
    assert client.exists(key) == 0


def test_it_is_the_server_we_started(local_stack: Settings) -> None:
    info = sync_client(local_stack.redis).info("server")
    pid_file = local_stack.stack.state_dir / "run" / "redis.pid"
    assert info["process_id"] == int(pid_file.read_text())
    assert info["tcp_port"] == local_stack.redis.url.port


def test_its_memory_is_bounded_and_only_expiring_keys_are_evicted(local_stack: Settings) -> None:
    config = sync_client(local_stack.redis).config_get("maxmemory*")
    assert int(config["maxmemory"]) == local_stack.redis.maxmemory_mb * 1024 * 1024 > 0
    assert config["maxmemory-policy"] == local_stack.redis.maxmemory_policy == "volatile-lru"
