"""Where the offer lookup API spends its time per request: a py-spy profile of `backbeat api`
(1 worker) answering `GET /v1/users/{id}/offers` for random seeded users as fast as wrk
(C, 1 thread, closed loop) asks, summarised like loader_profile.py: the share of samples each
function takes itself, and the share under Backbeat's own functions.

Run it before and after a change to the API (it needs only what every version of the API
has, so an older checkout can be profiled too: copy this file, _profiles.py and
_results.py into its bench/ and run it there):

    uv run python bench/api_profile.py [--users 10000] [--seconds 15] [--top 25]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _profiles import print_profile, py_spy, summarise
from _results import write_results
from api_latency import KEY, PATH, seed

from backbeat import stack
from backbeat.settings import get_settings, with_overrides
from backbeat.settings.environment import settings_environment
from backbeat.stack.private import free_port, private_stack_settings
from backbeat.waiting import wait_until_answers


# Its own wrk lookup and server launch, not bench/peers/environments.wrk or
# api_latency.start_api: those are newer than the API commits worth profiling against
# (5dd4e2d has neither), and this script must run in such a checkout unchanged.
def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    return found


def wrk_script(users: int) -> str:
    """A random seeded user per request, with the API key."""
    path = PATH.replace("{}", "%d")
    return (
        f'math.randomseed(os.time())\nwrk.headers["X-API-Key"] = "{KEY}"\n'
        "request = function()\n"
        f'  return wrk.format("GET", string.format("{path}", math.random(0, {users - 1})))\n'
        "end\n"
    )


def exited(server: subprocess.Popen[bytes]) -> Callable[[], None]:
    def check() -> None:
        if server.poll() is not None:
            raise SystemExit(f"the API exited with {server.returncode}")

    return check


def in_server(frames: list[str]) -> bool:
    """A sample of the serving process (uvicorn's loop), not of an idle launcher."""
    return any("uvicorn" in f or "offers/" in f or "starlette" in f for f in frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=15, help="profiled seconds under load")
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    spy, wrk = py_spy(), wrk_path()
    with tempfile.TemporaryDirectory(prefix="bb-api-profile-") as directory:
        tmp = Path(directory)
        settings = with_overrides(
            private_stack_settings(get_settings(), tmp / "state"), api={"port": free_port()}
        )
        stack.up(settings, ["redis"])
        server = None
        try:
            seed(settings, args.users)
            env = {
                **os.environ,
                **settings_environment(settings),
                "BACKBEAT_API_KEYS": f'["{KEY}"]',
            }
            command = ["-m", "backbeat", "api", "--port", str(settings.api.port), "-w", "1"]
            server = subprocess.Popen(
                [sys.executable, *command], env=env, stderr=subprocess.DEVNULL
            )
            base = f"http://127.0.0.1:{settings.api.port}"
            wait_until_answers(f"{base}/healthz", "the API", 60, exited(server))
            script = tmp / "lookups.lua"
            script.write_text(wrk_script(args.users))
            load = [wrk, "-t1", f"-c{args.connections}", "-s", str(script), base]
            subprocess.run([*load[:1], "-d3s", *load[1:]], check=True, capture_output=True)
            raw = tmp / "profile.txt"
            record = [spy, "record", "--subprocesses", "-r", "200", "--format", "raw"]
            record += ["-d", str(args.seconds), "-p", str(server.pid), "-o", str(raw)]
            profiler = subprocess.Popen(record, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(1)  # py-spy attached before the load starts
            answered = subprocess.run(
                [*load[:1], f"-d{args.seconds}s", *load[1:]],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            _, errors = profiler.communicate(timeout=args.seconds + 60)
            if profiler.returncode != 0:
                raise SystemExit(f"py-spy failed: {errors.decode(errors='replace')}")
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            stack.down(settings, ["redis"])
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", answered)[1])  # type: ignore[index]
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", answered)
        summary = summarise(raw, args.top, in_server)
    figures = {
        "users": args.users,
        "seconds": args.seconds,
        "requests_per_s_while_profiled": round(rate),
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        **summary,
    }
    print(f"{rate:,.0f} requests/s while profiled ({figures['non_2xx']} not 2xx)")
    print_profile(summary, "the API process")
    print(f"results: {write_results('api_profile', figures)}")


if __name__ == "__main__":
    main()
