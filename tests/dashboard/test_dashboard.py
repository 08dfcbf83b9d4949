"""The dashboard in a real browser: headless Chromium opens the page served by
`backbeat dashboard` over a warehouse of two simulated days loaded as if live (plus a story
of offers and what followed them); every chart is drawn by plotly.js from the page's own
server (no network), and a screenshot is saved (`BACKBEAT_DASHBOARD_SCREENSHOT`, else the
test's folder; the one in docs/ was made this way)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import httpx
import pytest

from backbeat.dashboard.charts import CHARTS
from backbeat.emit.sinks import DirectRawSink
from backbeat.events.codec import encode
from backbeat.events.schemas import ListenEvent
from backbeat.settings import get_settings, with_overrides
from backbeat.simulator.build import SimulatorOptions, build_simulator
from backbeat.simulator.engine import SimulationParams
from backbeat.stack.private import free_port
from backbeat.warehouse import open_build
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.rows import RawRow
from tests.dataflows.processes import wait_until_healthy
from tests.waits import PATIENCE_S, eventually
from tests.warehouse import offer_story

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: As the machine's notes give them: no sandbox as root, and no background connections
#: (this machine's network is closed).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1300,2150",
    "--virtual-time-budget=15000",
]


def simulate_live(root: Path) -> None:
    """Two days around the offer story's, each small batch loaded 2 s after its newest event."""
    start = offer_story.T - offer_story.DAY
    params = SimulationParams(start, start + 2 * offer_story.DAY, n_users=400, seed=21)
    simulator = build_simulator(SimulatorOptions(params, catalogue_size=3000, catalogue_seed=21))
    sink = DirectRawSink(RawParquetWriter(root), batch_rows=40, live_lag_ms=2000)
    for event in simulator.events():
        sink.write(event.topic, event.key, encode(event.record))
    sink.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`backbeat dashboard` over the warehouse: (its URL, the warehouse folder)."""
    root = tmp_path_factory.mktemp("warehouse")
    # The story's rows as loaded before the live window: the freshness panel shows live loads.
    early = offer_story.T - 2 * offer_story.DAY
    RawParquetWriter(root).write(offer_story.raw_rows(), ingested_ms=early)
    simulate_live(root)
    build = open_build(with_overrides(get_settings(), warehouse={"dir": root}))
    build.run()
    build.run()  # adds the freshness of the minutes the first build covered
    port = free_port()
    env = {
        **os.environ,
        "BACKBEAT_WAREHOUSE_DIR": str(root),
        "BACKBEAT_DASHBOARD_REFRESH_SECONDS": "0.5",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "backbeat", "dashboard", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_healthy(server, url + "healthz")
        yield url, root
    finally:
        server.terminate()
        server.communicate(timeout=PATIENCE_S)


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: `./deployments/local/install-test-prerequisites.sh` installs it "
        "(`make test` runs it first)"
    )
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=PATIENCE_S,
    )


@pytest.fixture
def dashboard(served: tuple[str, Path]) -> str:
    return served[0]


def test_a_finished_build_is_drawn_without_a_restart(served: tuple[str, Path]) -> None:
    dashboard, root = served
    before = httpx.get(dashboard, timeout=PATIENCE_S).text
    drawn_before = httpx.get(dashboard + "drawn", timeout=PATIENCE_S).text
    assert f'const drawnFor = "{drawn_before}"' in before  # the page knows what it shows
    play = ListenEvent(
        artist="Björk", song="Joga", duration=305.2, ts=offer_story.T, session_id=1,
        auth="Logged In", level="paid", item_in_session=0, user_id=1,
    )  # fmt: skip
    row = RawRow("listen_events", 99, 0, offer_story.T, play.ts, encode(play))
    RawParquetWriter(root).write([row], ingested_ms=int(time.time() * 1000))  # a new load
    built = open_build(with_overrides(get_settings(), warehouse={"dir": root})).run()
    until = built.window.until.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert f"built up to {until}" not in before
    eventually(
        lambda: f"built up to {until}" in httpx.get(dashboard, timeout=PATIENCE_S).text,
        "the dashboard drawing the new build",
    )
    # What an open page polls to reload itself: it now names the new build.
    drawn_after = httpx.get(dashboard + "drawn", timeout=PATIENCE_S).text
    assert drawn_after != drawn_before
    assert drawn_after == built.window.until.isoformat()


def test_every_chart_renders_with_data_in_chromium(dashboard: str, tmp_path: Path) -> None:
    page = httpx.get(dashboard, timeout=PATIENCE_S).text
    assert "http://" not in page and "https://" not in page  # nothing fetched from elsewhere
    dom = chromium("--dump-dom", dashboard, profile=tmp_path / "profile-dom").stdout
    assert f'data-drawn="{len(CHARTS)}"' in dom, dom[:2000]
    for chart in CHARTS:
        opening = rf'<section data-chart="{chart.id}" data-rows="(\d+)"[^>]*data-drawn="true"'
        section = re.search(opening + r"(.*?)</section>", dom, re.S)
        assert section, f"{chart.id} was not drawn"
        rows, drawn = int(section.group(1)), section.group(2)
        assert rows > 0, f"{chart.id} has no data"
        assert 'class="main-svg"' in drawn, f"{chart.id} has no plot"
        assert re.search(r'class="(point|trace bars|scatterlayer|trace scatter)', drawn), chart.id

    shot = Path(os.environ.get("BACKBEAT_DASHBOARD_SCREENSHOT", tmp_path / "dashboard.png"))
    made = chromium(f"--screenshot={shot}", dashboard, profile=tmp_path / "profile-shot")
    assert made.returncode == 0, made.stderr[-2000:]
    image = shot.read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) > 50_000
