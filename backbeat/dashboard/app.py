"""The dashboard server: reads the marts on each page load and serves plotly.js itself.

backbeat dashboard            # http://127.0.0.1:8050
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse

from backbeat import __version__
from backbeat.dashboard.charts import CHARTS, Chart
from backbeat.dashboard.page import PLOTLY_JS_PATH, Panel, render_page
from backbeat.settings import Settings, get_settings
from backbeat.warehouse import QueryError, Warehouse, open_warehouse


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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="Backbeat dashboard", version=__version__, docs_url=None, redoc_url=None)

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        warehouse = open_warehouse(settings)
        panels = [draw(chart, warehouse) for chart in CHARTS]
        backend = settings.warehouse.backend
        moment = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return render_page(panels, f"The marts on {backend}, read {moment}")

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
