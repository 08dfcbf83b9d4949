"""Redis memory of the recommender's model: bytes per song, per artist and per user, as
`MEMORY USAGE` reports them after a simulated run is played through the sessions dataflow's
logic into a real Redis (the numbers offers/keys.py documents).

    uv run python bench/recommender_memory.py [--users 1000] [--days 14] [--taste]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

import redis
from _results import write_results

from backbeat.settings import get_settings
from backbeat.stack.private import free_port
from offers.activity import ActivityConfig, KeyActivity, SongPlayed
from offers.engine import OfferEngine
from offers.evaluation import read_page_views
from offers.keys import RedisKeys
from offers.rules import RuleSet
from offers.store import RedisOfferStore
from offers.store_config import StoreConfig

BATCH = 500
SAMPLE = 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=float, default=14)
    parser.add_argument("--taste", action="store_true")
    args = parser.parse_args()
    sessions = get_settings().sessions
    with tempfile.TemporaryDirectory() as directory:
        run = Path(directory) / "run"
        command = [sys.executable, "-m", "backbeat", "generate", "-n", str(args.users)]
        command += ["--from", str(args.days), "--to", "0", "-r", "1", "-o", str(run)]
        subprocess.run(command + (["--taste"] if args.taste else []), check=True)
        views, _ = read_page_views([run / "page_view_events"])
        port = free_port()
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        try:
            client = redis.Redis(port=port)
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.1)
            keys = RedisKeys()
            shape = StoreConfig(keys, neighbours_kept=sessions.neighbours_kept, judged_share=0.0)
            store = RedisOfferStore(client, shape)
            config, engine = (
                ActivityConfig.from_settings(sessions),
                OfferEngine(RuleSet(version=1, rules=[])),
            )
            activities: dict[str, KeyActivity] = {}
            batch: list[SongPlayed] = []
            for view in views:
                activity = activities.setdefault(view.key, KeyActivity.new(view.key, config))
                batch += [
                    e for e in activity.on_view(view, engine, config) if isinstance(e, SongPlayed)
                ]
                if len(batch) >= BATCH:
                    store.apply(batch)
                    batch = []
            store.apply(batch)
            figures = {"page_views": len(views), "taste": args.taste}
            for name, pattern in {
                "song_hash": "song:*[0-9a-f]",
                "song_neighbours": "song:*:neighbours",
                "artist_hash": "artist:*[0-9a-f]",
                "artist_neighbours": "artist:*:neighbours",
                "artist_songs": "artist:*:songs",
                "user_recent": "user:*:recent",
            }.items():
                found = list(client.scan_iter(f"{keys.prefix}{pattern}", count=1000))
                sizes = [client.memory_usage(k) or 0 for k in found[:SAMPLE]]
                figures[name] = {
                    "keys": len(found),
                    "mean_bytes": round(mean(sizes)) if sizes else 0,
                }
            figures["popular_bytes"] = client.memory_usage(keys.popular)
            figures["used_memory_bytes"] = client.info("memory")["used_memory"]
        finally:
            server.terminate()
            server.wait()
    write_results("recommender_memory", figures)


if __name__ == "__main__":
    main()
