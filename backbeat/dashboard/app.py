"""The dashboard server: the marts drawn once per warehouse build, served from memory, and
plotly.js served by itself (no CDN).

backbeat dashboard            # http://127.0.0.1:8050

The marts change only when a build finishes, so drawing them on every request (eight queries
over every table's files and eight Plotly figures: seconds on a small machine) would redo
the same work each time. A background thread looks at the build log every
`BACKBEAT_DASHBOARD_REFRESH_SECONDS` and redraws the page when a new build has finished;
a request gets the page drawn last, at once. The page in the browser asks `GET /drawn` as
often and reloads itself when a newer build has been drawn, so it follows the stream.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache

from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from backbeat import __version__
from backbeat.dashboard.charts import CHARTS, Chart
from backbeat.dashboard.page import DRAWN_PATH, PLOTLY_JS_PATH, Panel, render_page
from backbeat.settings import Settings, get_settings
from backbeat.warehouse import QueryError, Warehouse, open_build, open_warehouse

log = logging.getLogger("backbeat.dashboard")


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def draw(chart: Chart, warehouse: Warehouse) -> Panel:
    """One chart from the warehouse, or the reason it cannot be drawn."""
    try:
        rows = warehouse.query(chart.sql).rows
    except QueryError as exc:
        return Panel(chart.id, chart.title, problem=f"{chart.title}: {exc}")
    if not rows:
        return Panel(chart.id, chart.title, problem=f"{chart.title}: no data yet")
    return Panel(chart.id, chart.title, chart.figure(rows).to_json(), len(rows))


def draw_page(settings: Settings, built_until: datetime | None) -> str:
    """The whole page from the warehouse as it is now."""
    warehouse = open_warehouse(settings)
    panels = [draw(chart, warehouse) for chart in CHARTS]
    backend = settings.warehouse.backend
    poll_s = settings.dashboard.refresh_seconds
    if built_until is None:
        return render_page(
            panels, f"The marts on {backend}: no build has finished yet", poll_s=poll_s
        )
    moment = built_until.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return render_page(
        panels, f"The marts on {backend}, built up to {moment}", drawn_label(built_until), poll_s
    )


def drawn_label(built_until: datetime | None) -> str:
    """What `GET /drawn` answers and the page compares with: the build it shows."""
    return "" if built_until is None else built_until.isoformat()


_NEVER = object()


class PageCache:
    """The page as of the newest build: drawn when a build is seen to finish, read from
    memory by every request (see the module docstring)."""

    def __init__(
        self,
        draw: Callable[[datetime | None], str],
        last_build: Callable[[], datetime | None],
        check_every_s: float,
    ) -> None:
        self._draw = draw
        self._last_build = last_build
        self._check_every_s = check_every_s
        self._drawn_for: datetime | object | None = _NEVER
        self._page = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """Redraw if a build finished since the last drawing; True if it redrew."""
        with self._lock:
            try:
                built = self._last_build()
            except Exception as exc:  # the build log cannot be read: keep the page drawn
                log.warning("dashboard: could not read the build log: %s", exc)
                if self._drawn_for is not _NEVER:
                    return False
                built = None
            if built == self._drawn_for:
                return False
            self._page = self._draw(built)
            self._drawn_for = built
            return True

    def page(self) -> str:
        if self._drawn_for is _NEVER:
            self.refresh()
        return self._page

    def drawn_for(self) -> str:
        drawn = self._drawn_for
        return drawn_label(drawn) if isinstance(drawn, datetime) else ""

    def start(self) -> None:
        self.refresh()
        self._thread = threading.Thread(target=self._watch, name="dashboard-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._check_every_s + 60)

    def _watch(self) -> None:
        while not self._stop.wait(self._check_every_s):
            try:
                self.refresh()
            except Exception:  # a failed drawing must not end the watching; the next may work
                log.exception("dashboard: redrawing the page failed")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    resolved = settings
    builds = open_build(resolved).store
    pages = PageCache(
        lambda built_until: draw_page(resolved, built_until),
        builds.last_until,
        resolved.dashboard.refresh_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(pages.start)  # the first page is drawn before serving
        yield
        await asyncio.to_thread(pages.stop)

    app = FastAPI(
        title="Backbeat dashboard",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return pages.page()

    @app.get(DRAWN_PATH, response_class=PlainTextResponse)
    def drawn() -> str:
        return pages.drawn_for()

    @app.get(PLOTLY_JS_PATH)
    def plotly_js() -> Response:
        return Response(
            _plotly_js(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
