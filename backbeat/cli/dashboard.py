"""`backbeat dashboard`: the marts as charts in the browser (no internet needed)."""

from __future__ import annotations

from typing import Annotated

import typer

from backbeat.cli._utilities import err_console
from backbeat.settings import get_settings

app = typer.Typer()


@app.command()
def dashboard(
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535)] = None,
    host: Annotated[str | None, typer.Option("--host", help="Address to bind.")] = None,
) -> None:
    """Serve the dashboard: listens, top songs, users by plan, subscriptions, sessions,
    royalties, offer uplift and pipeline freshness, read from the marts on each load."""
    import uvicorn

    settings = get_settings().dashboard
    host, port = host or settings.host, port or settings.port
    err_console.print(f"dashboard on http://{host}:{port}/", highlight=False)
    uvicorn.run(
        "backbeat.dashboard.app:create_app", factory=True, host=host, port=port, log_level="warning"
    )
