"""The real-time path's latency: from a page view produced to Kafka to its offer, and to
the play that the user's recommendations start from, in Redis, while the sessions
dataflow (1 worker, or `--workers`) carries simulated traffic at a fixed rate (default
5,000 page views/s).

Probe users (ids no simulated user has) send, every `--probe-every` seconds, the clicks that
decide the premium trial (Home, Upgrade, Home, Upgrade, Upgrade) and then a play; a poller
reads Redis every 2 ms and times each probe from just before its produce call to its offer
being there (event -> offer) and its song heading the user's recent plays (event ->
recommendation). Redis' own round trip (PING) in the same run is the floor. The producer
lingers 5 ms, as a client that wants low latency would set it.

    uv run python bench/realtime_latency.py [--rate 5000] [--seconds 30]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import msgspec
from _results import write_results

from backbeat import stack
from backbeat.events.codec import encode
from backbeat.events.schemas import PageViewEvent
from backbeat.kafka.producer import KafkaProducer
from backbeat.settings import get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.stack.private import free_port, private_stack_settings
from offers.keys import RedisKeys
from offers.recommender import song_id
from offers.store_config import sync_client

DAY_MS = 86_400_000
PROBE_BASE = 50_000_000
TRIAL_CLICKS = ["Home", "Upgrade", "Home", "Upgrade", "Upgrade"]


def background(count: int) -> list[tuple[bytes | None, PageViewEvent]]:
    start_ms = int(time.time() * 1000) - 2 * DAY_MS
    params = SimulationParams(start_ms=start_ms, end_ms=start_ms + 2 * DAY_MS, n_users=20_000)
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=20_000, catalogue_seed=1))
    found: list[tuple[bytes | None, PageViewEvent]] = []
    for event in simulator.events():
        if event.topic == "page_view_events":
            assert isinstance(event.record, PageViewEvent)
            found.append((event.key, event.record))
            if len(found) == count:
                break
    return found


def _played(user: int) -> dict[str, Any]:
    return {"artist": f"Probe Artist {user}", "song": f"Probe Song {user}", "duration": 200.0}


def probe_clicks(user: int, now_ms: int) -> list[PageViewEvent]:
    clicks = [*TRIAL_CLICKS, "NextSong"]
    return [
        PageViewEvent(
            ts=now_ms - len(clicks) + i,
            session_id=user,
            page=page,
            auth="Logged In",
            method="PUT" if page == "NextSong" else "GET",
            status=200,
            level="free",
            item_in_session=i,
            city="Tampa",
            zip="33601",
            state="FL",
            user_agent="Mozilla/5.0",
            lon=-82.4,
            lat=27.9,
            user_id=user,
            first_name="Probe",
            last_name="User",
            gender="F",
            registration=now_ms - DAY_MS,
            **(_played(user) if page == "NextSong" else {}),
        )
        for i, page in enumerate(clicks)
    ]


def percentiles(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)

    def at(q: float) -> float | None:
        return (
            round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)
            if ordered
            else None
        )

    return {"n": len(ordered), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5000, help="background page views/s")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--probe-every", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=1, help="workers per process (threads)")
    parser.add_argument(
        "--processes", type=int, default=1, help="sessions dataflow processes (-i/-a)"
    )
    args = parser.parse_args()
    total_s = args.warmup + args.seconds
    traffic = background(int(args.rate * total_s))
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        settings = private_stack_settings(get_settings(), tmp / "state")
        settings = with_overrides(
            settings,
            sessions={
                "recovery_dir": tmp / "recovery",
                "metrics_port": 0,
                "snapshot_seconds": 5,
                "holdout_share": 0.0,  # every probe is shown its offer
                "workers": args.workers,
            },
        )
        stack.up(settings, ["kafka", "redis"])
        processes: list[subprocess.Popen[bytes]] = []
        try:
            env = {**os.environ, **settings_environment(settings)}
            log = (tmp / "sessions.log").open("w")
            command = [sys.executable, "-m", "backbeat", "sessions"]
            addresses = ";".join(f"127.0.0.1:{free_port()}" for _ in range(args.processes))
            for index in range(args.processes):
                cluster = ["-i", str(index), "-a", addresses] if args.processes > 1 else []
                processes.append(subprocess.Popen([*command, *cluster], env=env, stderr=log))
            keys = RedisKeys(settings.redis.key_prefix)
            client = sync_client(settings.redis, timeout_s=60.0)
            sink = KafkaProducer(settings.kafka, linger_ms=5)
            # Wait until the dataflow answers: one probe end to end.
            warm = PROBE_BASE - 1
            for click in probe_clicks(warm, int(time.time() * 1000)):
                sink.write("page_view_events", str(warm).encode(), encode(click))
            sink.flush()
            waited = time.monotonic()
            while not client.exists(keys.offers(warm)):
                if any(process.poll() is not None for process in processes):
                    raise SystemExit("the sessions dataflow stopped")
                if time.monotonic() - waited > 120:
                    tail = (tmp / "sessions.log").read_text()[-3000:]
                    raise SystemExit(f"no offer for the warm-up probe in 2 minutes:\n{tail}")
                time.sleep(0.05)

            sent_at: dict[int, float] = {}
            offer_at: dict[int, float] = {}
            play_at: dict[int, float] = {}
            lock = threading.Lock()
            done = threading.Event()

            def poll() -> None:
                while not done.is_set():
                    with lock:
                        waiting = [u for u in sent_at if u not in offer_at or u not in play_at]
                    if waiting:
                        pipe = client.pipeline(transaction=False)
                        for user in waiting:
                            pipe.exists(keys.offers(user))
                            pipe.lindex(keys.recent(user), 0)
                        replies = pipe.execute()
                        now = time.time()
                        for i, user in enumerate(waiting):
                            expected = song_id(f"Probe Artist {user}", f"Probe Song {user}")
                            if replies[2 * i] and user not in offer_at:
                                offer_at[user] = now
                            head = replies[2 * i + 1]
                            if head is not None and head.decode() == expected:
                                play_at.setdefault(user, now)
                    time.sleep(0.002)

            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            started = time.monotonic()
            offset_ms = int(time.time() * 1000) - traffic[-1][1].ts
            sent, next_probe, probe, chunk_s = 0, started, PROBE_BASE, 0.01
            measuring_from = started + args.warmup
            while (now := time.monotonic()) - started < total_s:
                due = min(len(traffic), int((now - started) * args.rate))
                for key, record in traffic[sent:due]:
                    shifted = msgspec.structs.replace(record, ts=record.ts + offset_ms)
                    sink.write("page_view_events", key, encode(shifted))
                sent = due
                if now >= next_probe:
                    probe += 1
                    clicks = probe_clicks(probe, int(time.time() * 1000))
                    if now >= measuring_from:
                        with lock:
                            sent_at[probe] = time.time()
                    for click in clicks:
                        sink.write("page_view_events", str(probe).encode(), encode(click))
                    next_probe += args.probe_every
                time.sleep(chunk_s)
            sink.flush()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (
                len(offer_at) < len(sent_at) or len(play_at) < len(sent_at)
            ):
                time.sleep(0.1)
            done.set()
            poller.join()
            floor = []
            for _ in range(1000):
                began = time.perf_counter()
                client.ping()
                floor.append(time.perf_counter() - began)
            figures = {
                "background_page_views_per_s": args.rate,
                "workers": args.workers,
                "processes": args.processes,
                "sent": sent,
                "seconds": args.seconds,
                "event_to_offer": percentiles(
                    [offer_at[u] - sent_at[u] for u in sent_at if u in offer_at]
                ),
                "event_to_recommendation": percentiles(
                    [play_at[u] - sent_at[u] for u in sent_at if u in play_at]
                ),
                "probes": len(sent_at),
                "probes_without_offer": len(sent_at) - len(offer_at),
                "redis_ping_floor": percentiles(floor),
            }
            print(
                f"{args.rate:,} page views/s: event->offer {figures['event_to_offer']}, "
                f"event->recommendation {figures['event_to_recommendation']}; "
                f"Redis PING {figures['redis_ping_floor']}"
            )
            write_results("realtime_latency", figures)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
            stack.down(settings, ["kafka", "redis"])


if __name__ == "__main__":
    main()
