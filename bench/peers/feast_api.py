"""Backbeat's offer lookup API against the peer a user would otherwise pick: Feast's Python
feature server, on the same Redis, with the same users and offers, under the same load
generators.

A private Redis is seeded with N users as `bench/api_latency.py` does; each user's two offers
are read back through Backbeat's store and written, field by field, to a Feast feature view
(`feast_store.py`, run in Feast's own environment under `.backbeat/peers/feast/`) on the same
Redis. Both servers run one worker, one at a time, on a quiet box:
- `backbeat api -w 1`: `GET /v1/users/{id}/offers`;
- `feast serve -w 1` (Feast 0.67, gunicorn + uvicorn): `POST /get-online-features` for the
  view's 16 features of one user, with Feast's defaults (`--max-requests 1000`: its only
  worker restarts every ~1,000 requests) and tuned (`--max-requests 0`, no access log).
Before timing, the offer ids both answer for sample users are compared.

Maximum rate: wrk (C, one thread, `--connections` connections, random users from a Lua script).
Latency at a fixed rate: vegeta (Go, open loop: each request sent on schedule whether or not
earlier ones were answered, so a stall is not hidden), at `--rate` (default half the slowest
peer's maximum) for every peer, and at `--backbeat-rate` (default 1,000/s) for Backbeat.
Rounds alternate the peers; the ratios are Backbeat / Feast per round.

    uv run python bench/peers/feast_api.py [--users 10000] [--rounds 2] [--seconds 15]
                                           [--connections 32] [--rate R] [--backbeat-rate 1000]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: the shared helpers

import httpx
from _results import write_results
from api_latency import KEY, PATH, seed, start_api, wait_until_healthy
from environments import peer_python, vegeta, wrk

from backbeat import stack
from backbeat.settings import Settings, get_settings, with_overrides
from backbeat.stack.private import free_port, private_stack_settings
from offers.keys import RedisKeys
from offers.store_config import sync_client
from offers.store_reads import StoreReads, read_sync

FEAST = "feast[redis]==0.67.0"
FEAST_STORE = Path(__file__).with_name("feast_store.py")
OFFER_FIELDS = (
    "offer_id",
    "offer_type",
    "rule_id",
    "reason",
    "payload",
    "priority",
    "decided_at_ms",
    "expires_at_ms",
)


@dataclass(frozen=True)
class Peer:
    """A server under test: how to start it, and its request for a user. `path` and `body`
    are printf templates (`%d`, the user id, where it appears), so Python and wrk's Lua fill
    them alike."""

    name: str
    start: Callable[[], subprocess.Popen[bytes]]
    base: str
    health: str
    method: str
    path: str
    body: str | None
    headers: dict[str, str]
    offer_ids: Callable[[dict[str, Any]], list[str]]

    def request(self, user: int) -> tuple[str, bytes | None]:
        """The URL and body of the request for `user`."""
        body = None if self.body is None else (self.body % user).encode()
        path = self.path % user if "%d" in self.path else self.path
        return f"{self.base}{path}", body

    def lua(self, users: int) -> str:
        """wrk's script: a random user per request."""
        headers = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in self.headers.items())
        body = "nil" if self.body is None else f"string.format({json.dumps(self.body)}, id)"
        return (
            f"math.randomseed(os.time())\n{headers}"
            "request = function()\n"
            f"  local id = math.random(0, {users - 1})\n"
            f'  return wrk.format("{self.method}", string.format("{self.path}", id), nil, {body})\n'
            "end\n"
        )

    def targets(self, users: int, count: int = 20_000) -> str:
        """vegeta's targets (JSON lines), random users."""
        lines = []
        for _ in range(count):
            url, body = self.request(random.randrange(users))
            target: dict[str, Any] = {
                "method": self.method,
                "url": url,
                "header": {k: [v] for k, v in self.headers.items()},
            }
            if body is not None:
                target["body"] = base64.b64encode(body).decode()
            lines.append(json.dumps(target))
        return "\n".join(lines) + "\n"


def backbeat_offer_ids(answer: dict[str, Any]) -> list[str]:
    return [offer["offer_id"] for offer in answer["offers"]]


def feast_offer_ids(answer: dict[str, Any]) -> list[str]:
    names = answer["metadata"]["feature_names"]
    values = {
        name: result["values"][0] for name, result in zip(names, answer["results"], strict=True)
    }
    return [values["offer_1_offer_id"], values["offer_2_offer_id"]]


def export_offers(settings: Settings, users: int, path: Path) -> None:
    """Each user's two offers as Backbeat's store serves them, one row per user for Feast."""
    client = sync_client(settings.redis)
    reads = StoreReads(RedisKeys(settings.redis.key_prefix))
    with path.open("w") as out:
        for user in range(users):
            offers = read_sync(client, reads.offers(user))
            if len(offers) != 2:
                raise RuntimeError(f"user {user} has {len(offers)} offers, not 2")
            row: dict[str, Any] = {"user_id": user}
            for slot, offer in enumerate(offers, start=1):
                for field in OFFER_FIELDS:
                    value = offer[field]
                    row[f"offer_{slot}_{field}"] = (
                        json.dumps(value) if field == "payload" else value
                    )
            out.write(json.dumps(row) + "\n")


def same_answers(backbeat: Peer, feast: Peer, users: int) -> None:
    """Both peers name the same offers for sample users (each server started on its own)."""
    samples = range(0, users, max(1, users // 20))
    seen: dict[str, list[list[str]]] = {}
    for peer in (backbeat, feast):
        with running(peer):
            answers = []
            for user in samples:
                url, body = peer.request(user)
                response = httpx.request(peer.method, url, content=body, headers=peer.headers)
                response.raise_for_status()
                answers.append(peer.offer_ids(response.json()))
            seen[peer.name] = answers
    if seen[backbeat.name] != seen[feast.name]:
        raise RuntimeError(f"the peers disagree: {seen}")
    print(f"both answer the same offers for {len(samples)} sample users", flush=True)


@contextmanager
def running(peer: Peer) -> Iterator[None]:
    server = peer.start()
    try:
        wait_until_healthy(f"{peer.base}{peer.health}", server)
        yield
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def max_rate(peer: Peer, users: int, connections: int, seconds: int, tmp: Path) -> dict[str, Any]:
    script = tmp / f"{peer.name}.lua"
    script.write_text(peer.lua(users))

    def run(duration_s: int) -> str:
        command = [wrk(), "-t1", f"-c{connections}", f"-d{duration_s}s", "--latency"]
        command += ["-s", str(script), peer.base]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    run(3)  # warm-up
    return parse_wrk(run(seconds))


def parse_wrk(text: str) -> dict[str, Any]:
    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
        return round(float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 3)

    figures: dict[str, Any] = {
        "requests_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1])),  # type: ignore[index]
        "requests": int(re.search(r"(\d+) requests in", text)[1]),  # type: ignore[index]
    }
    for q in ("50", "99"):
        figures[f"p{q}_ms"] = ms(re.search(rf"\s{q}%\s+(\S+)", text)[1])  # type: ignore[index]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    figures["non_2xx"] = int(errors[1]) if errors else 0
    figures["socket_errors"] = socket_errors[1].strip() if socket_errors else ""
    return figures


def fixed_rate(peer: Peer, users: int, rate: int, seconds: int, tmp: Path) -> dict[str, Any]:
    targets = tmp / f"{peer.name}.targets"
    targets.write_text(peer.targets(users))

    def attack(duration_s: int) -> bytes:
        command = [
            vegeta(), "attack", "-format=json", f"-targets={targets}", f"-rate={rate}/s",
            f"-duration={duration_s}s", "-timeout=5s", "-keepalive=true",
        ]  # fmt: skip
        return subprocess.run(command, capture_output=True, check=True).stdout

    attack(2)  # warm-up
    results = attack(seconds)
    report = subprocess.run(
        [vegeta(), "report", "-type=json"], input=results, capture_output=True, check=True
    )
    parsed = json.loads(report.stdout)
    latencies = parsed["latencies"]
    return {
        "rate": rate,
        "achieved_rate": round(parsed["rate"]),
        "requests": parsed["requests"],
        **{f"{q}_ms": round(latencies[q] / 1e6, 3) for q in ("50th", "95th", "99th", "max")},
        "success": parsed["success"],
        "status_codes": parsed["status_codes"],
    }


def peers(settings: Settings, feast: Path, repo: Path, features: list[str]) -> list[Peer]:
    feast_port = free_port()
    feast_body = json.dumps({"features": features, "entities": {"user_id": [0]}})
    backbeat = Peer(
        "backbeat",
        lambda: start_api(settings, workers=1),
        f"http://127.0.0.1:{settings.api.port}",
        "/healthz",
        "GET",
        PATH.replace("{}", "%d"),
        None,
        {"X-API-Key": KEY},
        backbeat_offer_ids,
    )

    def feast_peer(name: str, *options: str) -> Peer:
        command = [str(feast), "-c", str(repo), "serve", "-p", str(feast_port), "-w", "1"]
        quiet = subprocess.DEVNULL  # its access log (on by default) and start-up messages
        return Peer(
            name,
            lambda: subprocess.Popen([*command, *options], stdout=quiet, stderr=quiet),
            f"http://127.0.0.1:{feast_port}",
            "/health",
            "POST",
            "/get-online-features",
            feast_body.replace("[0]", "[%d]"),
            {"Content-Type": "application/json"},
            feast_offer_ids,
        )

    return [
        backbeat,
        feast_peer("feast_default"),
        feast_peer("feast_tuned", "--max-requests", "0", "--no-access-log"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of every peer")
    parser.add_argument("--seconds", type=int, default=15, help="each wrk and vegeta run")
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections")
    parser.add_argument(
        "--rate", type=int, help="req/s for every peer (default: half the least max)"
    )
    parser.add_argument("--backbeat-rate", type=int, default=1_000, help="req/s for Backbeat alone")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bb-peer-feast-") as directory:
        measure(args, Path(directory))


def measure(args: argparse.Namespace, tmp: Path) -> None:
    settings = with_overrides(
        private_stack_settings(get_settings(), tmp / "state"),
        api={"keys": [KEY], "port": free_port()},
    )
    feast_python = peer_python("feast", FEAST)
    stack.up(settings, ["redis"])
    try:
        seed(settings, args.users)
        export_offers(settings, args.users, tmp / "offers.jsonl")
        redis_address = f"{settings.redis.url.host}:{settings.redis.url.port}"
        made = subprocess.run(
            [str(feast_python), str(FEAST_STORE), str(tmp / "feast_repo"), redis_address,
             str(tmp / "offers.jsonl")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        features = json.loads(made.stdout.strip().splitlines()[-1])
        print(f"seeded {args.users:,} users in Backbeat's store and in Feast's", flush=True)
        feast_cli = feast_python.with_name("feast")
        backbeat, *feasts = peers(settings, feast_cli, tmp / "feast_repo", features)
        same_answers(backbeat, feasts[0], args.users)

        rounds: list[dict[str, Any]] = []
        for round_ in range(args.rounds):
            figures: dict[str, Any] = {}
            for peer in (backbeat, *feasts):
                with running(peer):
                    figures[peer.name] = max_rate(
                        peer, args.users, args.connections, args.seconds, tmp
                    )
                print(f"round {round_ + 1} {peer.name} max: {figures[peer.name]}", flush=True)
            for feast in feasts:
                figures[f"backbeat_over_{feast.name}"] = round(
                    figures["backbeat"]["requests_per_s"] / figures[feast.name]["requests_per_s"],
                    2,
                )
            print(
                f"round {round_ + 1} ratios: "
                f"{ {k: v for k, v in figures.items() if k.startswith('backbeat_over')} }"
            )
            rounds.append(figures)

        least = min(r[p.name]["requests_per_s"] for r in rounds for p in feasts)
        rate = args.rate or max(50, least // 2 // 50 * 50)
        at_rate: dict[str, Any] = {}
        for peer in (backbeat, *feasts):
            with running(peer):
                at_rate[peer.name] = fixed_rate(peer, args.users, rate, args.seconds, tmp)
                if peer is backbeat:
                    at_rate[f"backbeat_at_{args.backbeat_rate}"] = fixed_rate(
                        peer, args.users, args.backbeat_rate, args.seconds, tmp
                    )
            print(f"{peer.name} at {rate} req/s: {at_rate[peer.name]}", flush=True)
        print(
            f"backbeat at {args.backbeat_rate} req/s: "
            f"{at_rate[f'backbeat_at_{args.backbeat_rate}']}",
            flush=True,
        )
        for feast in feasts:
            at_rate[f"{feast.name}_p99_over_backbeat_p99"] = round(
                at_rate[feast.name]["99th_ms"] / at_rate["backbeat"]["99th_ms"], 2
            )
        print({k: v for k, v in at_rate.items() if k.endswith("over_backbeat_p99")})
        results = {
            "users": args.users,
            "connections": args.connections,
            "seconds": args.seconds,
            "max_rate_rounds": rounds,
            "fixed_rate": at_rate,
        }
        print(f"results: {write_results('peer_feast_api', results)}")
    finally:
        stack.down(settings, ["redis"])


if __name__ == "__main__":
    main()
