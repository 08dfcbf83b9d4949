"""The sessions dataflow: how many page views a second it turns into sessions, features,
offers and recommendations in Redis.

Simulated page views (20,000 users) are produced into a private Kafka first; then
`backbeat sessions` (1 worker) runs until it has drained them, into one Redis or, with
`--redis-masters N`, a Redis Cluster of N masters. Start-up (to the first
feature written to Redis) is timed apart and left out of the rate. Every record is applied
or counted: the run checks Redis holds a session for users seen and prints the offers decided.

    uv run python bench/sessions_throughput.py [--records 500000] [--redis-masters 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import write_results

from backbeat import stack
from backbeat.events.codec import encode
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.stack.private import private_cluster_settings, private_stack_settings
from offers.keys import RedisKeys
from offers.store import RedisOfferStore
from offers.store_config import StoreConfig, sync_client
from offers.store_topology import SyncClient, servers

DAY_MS = 86_400_000


def page_views(count: int) -> list[tuple[bytes | None, bytes]]:
    start_ms = int(time.time() * 1000) - 30 * DAY_MS
    params = SimulationParams(
        start_ms=start_ms, end_ms=start_ms + 30 * DAY_MS, n_users=20_000, seed=1
    )
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=20_000, catalogue_seed=1))
    found: list[tuple[bytes | None, bytes]] = []
    for event in simulator.events():
        if event.topic == "page_view_events":
            found.append((event.key, encode(event.record)))
            if len(found) == count:
                break
    return found


def redis_cpu_seconds(client: SyncClient) -> float:
    """Redis' own CPU so far (user + system), summed over a cluster's masters."""
    total = 0.0
    for server in servers(client):
        cpu = server.info("cpu")
        total += float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
    return total


def key_count(client: SyncClient, pattern: str) -> int:
    return sum(len(server.keys(pattern)) for server in servers(client))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument(
        "--redis-masters", type=int, default=1, help="over 1: a Redis Cluster of this many"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        if args.redis_masters > 1:
            settings = private_cluster_settings(
                get_settings(), tmp / "state", brokers=1, masters=args.redis_masters
            )
        else:
            settings = private_stack_settings(get_settings(), tmp / "state")
        settings = with_overrides(
            settings,
            sessions={"recovery_dir": tmp / "recovery", "metrics_port": 0, "snapshot_seconds": 5},
        )
        stack.up(settings, ["kafka", "redis"])
        try:
            views = page_views(args.records)
            sink = KafkaProducer(settings.kafka)
            for key, value in views:
                sink.write("page_view_events", key, value)
            sink.close()
            client = sync_client(settings.redis)
            keys = RedisKeys(settings.redis.key_prefix)
            env = {**os.environ, **settings_environment(settings)}
            idle_s = 1.0
            began = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", "backbeat", "sessions", "--exit-when-idle", str(idle_s)],
                env=env,
                stderr=subprocess.DEVNULL,
            )
            while not key_count(client, f"{keys.prefix}user:*:session"):
                if process.poll() is not None:
                    raise SystemExit("the sessions dataflow stopped before writing anything")
                time.sleep(0.05)
            startup = time.monotonic() - began
            process.wait(timeout=3600)
            elapsed = time.monotonic() - began - idle_s - startup
            if process.returncode != 0:
                raise SystemExit(f"the sessions dataflow exited with {process.returncode}")
            users = key_count(client, f"{keys.prefix}user:*:session")
            offered = key_count(client, f"{keys.prefix}user:*:offers")
            stats = RedisOfferStore(client, StoreConfig(keys)).stats()
            redis_cpu_s = redis_cpu_seconds(client)
            figures = {
                "redis_masters": args.redis_masters,
                "page_views": len(views),
                "startup_s": round(startup, 2),
                "seconds_after_startup": round(elapsed, 2),
                "page_views_per_s": round(len(views) / elapsed),
                # Redis' own CPU over the run (Lua scripts included): a share of the core.
                "redis_cpu_s": round(redis_cpu_s, 2),
                "users_with_a_session": users,
                "users_with_offers": offered,
                "stats": stats,
            }
            print(
                f"{len(views):,} page views in {elapsed:.1f} s after a {startup:.1f} s start: "
                f"{figures['page_views_per_s']:,} page views/s (Redis busy {redis_cpu_s:.1f} s); "
                f"{users:,} users with a live session, {offered:,} with offers; {stats}"
            )
            print(f"results: {write_results('sessions_throughput', figures)}")
        finally:
            stack.down(settings, ["kafka", "redis"])


if __name__ == "__main__":
    main()
