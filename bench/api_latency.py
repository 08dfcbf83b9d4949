"""The offer lookup API on loopback: latency at a fixed rate and the most it serves.

A private Redis is seeded with N users (live session, two offers, recent plays, co-plays);
`backbeat api` (uvicorn, 1 worker by default) serves it. The load generator here is
open-loop: request i is due at start + i / rate and its latency runs from that due time
(so a stall is not hidden by sending later: no coordinated omission). Then a closed loop
of C concurrent clients measures the maximum rate. The floor is Redis itself: the same
HVALS the offers lookup makes, timed with redis-py in this process, in the same run.

    uv run python bench/api_latency.py [--users 10000] [--rate 1000] [--seconds 10] [--clients 32]
        [--workers 1] [--redis-masters 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx
from _results import write_results

from backbeat import stack
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.stack.private import free_port, private_cluster_settings, private_stack_settings
from offers.activity import OfferDecided, SessionUpdated, SongPlayed
from offers.engine import Decision, offer_id
from offers.features import SessionFeatures
from offers.keys import RedisKeys
from offers.recommender import song_id
from offers.store import RedisOfferStore
from offers.store_config import sync_client

KEY = "bench-key"
PATH = "/v1/users/{}/offers"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(latencies_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in latencies_s]
    return {
        "p50_ms": round(percentile(ms, 0.50), 3),
        "p99_ms": round(percentile(ms, 0.99), 3),
        "max_ms": round(max(ms), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


def seed(settings: Settings, users: int) -> None:
    store = RedisOfferStore.from_settings(settings)
    now = int(time.time() * 1000)
    features = SessionFeatures(now - 600_000, now, "free", events=12, upgrade_views=2).values(5)
    batch: list[object] = []
    for user in range(users):
        batch.append(SessionUpdated(user, features))
        for rule, priority in (("premium_trial_upgrade_intent", 90), ("artist_spotlight", 20)):
            batch.append(
                OfferDecided(
                    Decision(
                        offer_id(user, rule, now),
                        user,
                        rule,
                        rule.split("_")[0],
                        {"trial_days": 30},
                        "Opened Upgrade 2 times this session without upgrading",
                        priority,
                        now,
                        now + 3_600_000,
                        False,
                    )
                )
            )
        played = song_id(f"Artist {user % 50}", f"Song {user % 500}")
        before = (song_id(f"Artist {user % 7}", f"Song {user % 7}"),)
        batch.append(SongPlayed(user, now, played, "Artist", "Song", 1.0, before))
        if len(batch) >= 5_000:
            store.apply(batch)  # type: ignore[arg-type]
            batch.clear()
    store.apply(batch)  # type: ignore[arg-type]


def start_api(settings: Settings, workers: int) -> subprocess.Popen[bytes]:
    """`backbeat api` on `settings.api.port`, serving KEY."""
    env = {**os.environ, **settings_environment(settings), "BACKBEAT_API_KEYS": f'["{KEY}"]'}
    command = ["-m", "backbeat", "api", "--port", str(settings.api.port), "-w", str(workers)]
    return subprocess.Popen([sys.executable, *command], env=env)


def wait_until_healthy(url: str, server: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"{url}: the server exited with {server.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {timeout_s:.0f} s")
        time.sleep(0.2)


def redis_floor(settings: Settings, users: int, samples: int = 5_000) -> dict[str, float]:
    client = sync_client(settings.redis)
    keys = RedisKeys(settings.redis.key_prefix)
    latencies = []
    for _ in range(samples):
        began = time.perf_counter()
        client.hvals(keys.offers(random.randrange(users)))
        latencies.append(time.perf_counter() - began)
    return summary(latencies)


async def open_loop(base: str, users: int, rate: float, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(base, headers={"X-API-Key": KEY}, connector=connector) as http:

        async def one(due: float) -> None:
            nonlocal errors
            async with http.get(PATH.format(random.randrange(users))) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - due)

        start = time.perf_counter() + 0.1
        tasks = []
        for i in range(int(rate * seconds)):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(due)))
        await asyncio.gather(*tasks)
    return {**summary(latencies), "requests": len(latencies), "errors": errors}


async def closed_loop(base: str, users: int, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, headers={"X-API-Key": KEY}, connector=connector) as http:
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                began = time.perf_counter()
                async with http.get(PATH.format(random.randrange(users))) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return {
        **summary(latencies),
        "requests_per_s": round(len(latencies) / elapsed),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=1_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--redis-masters", type=int, default=1, help="over 1: a Redis Cluster of this many"
    )
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="bb-api-bench-"))
    port = free_port()
    if args.redis_masters > 1:
        private = private_cluster_settings(get_settings(), state, masters=args.redis_masters)
    else:
        private = private_stack_settings(get_settings(), state)
    settings = with_overrides(private, api={"keys": [KEY], "port": port})
    stack.up(settings, ["redis"])
    server = None
    try:
        seed(settings, args.users)
        floor = redis_floor(settings, args.users)
        print(f"Redis HVALS floor: p50 {floor['p50_ms']} ms, p99 {floor['p99_ms']} ms")
        server = start_api(settings, args.workers)
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(f"{base}/healthz", server)
        asyncio.run(open_loop(base, args.users, args.rate, 2))  # warm-up
        fixed = asyncio.run(open_loop(base, args.users, args.rate, args.seconds))
        print(
            f"{args.rate:,.0f} req/s for {args.seconds:.0f} s: p50 {fixed['p50_ms']} ms, "
            f"p99 {fixed['p99_ms']} ms, max {fixed['max_ms']} ms, errors {fixed['errors']} "
            f"(p99 / Redis p99 = {fixed['p99_ms'] / floor['p99_ms']:.1f}x)"
        )
        most = asyncio.run(closed_loop(base, args.users, args.clients, args.seconds))
        print(
            f"max with {args.clients} clients: {most['requests_per_s']:,} req/s, "
            f"p50 {most['p50_ms']} ms, p99 {most['p99_ms']} ms, errors {most['errors']}"
        )
        figures = {
            "users": args.users,
            "api_workers": args.workers,
            "redis_masters": args.redis_masters,
            "redis_hvals_floor": floor,
            f"fixed_rate_{int(args.rate)}": fixed,
            "closed_loop": {"clients": args.clients, **most},
        }
        print(f"results: {write_results('api_latency', figures)}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        stack.down(settings, ["redis"])


if __name__ == "__main__":
    main()
