"""The dashboard page: one panel per chart, drawn by plotly.js served beside it (no CDN)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass

#: Which build the page on the server shows now (plain text; empty before the first).
DRAWN_PATH = "/drawn"
PLOTLY_JS_PATH = "/plotly.min.js"


@dataclass(frozen=True)
class Panel:
    """A chart ready to draw (`figure_json`), or why it cannot be (`problem`)."""

    id: str
    title: str
    figure_json: str | None = None
    rows: int = 0
    problem: str | None = None


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f5f6f8; color: #222; }
header { padding: 16px 24px; background: #1d2b3a; color: #fff; }
header h1 { margin: 0; font-size: 20px; } header p { margin: 4px 0 0; opacity: .8; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(620px, 1fr));
       gap: 16px; padding: 16px; }
section { background: #fff; border-radius: 8px; padding: 8px; min-height: 380px;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.problem { padding: 24px; color: #8a4b00; }
"""


def render_page(
    panels: Sequence[Panel], subtitle: str, drawn_for: str = "", poll_s: float | None = None
) -> str:
    """The whole page. Each drawn panel sets `data-rows` (the rows it shows) on its section and
    `data-drawn` once plotly.js has drawn it; the body counts drawn panels in `data-drawn`.

    With `poll_s`, the page asks `DRAWN_PATH` that often which build the server's page shows
    and reloads itself when it is no longer `drawn_for`: it follows the builds by itself."""
    sections, figures = [], {}
    for panel in panels:
        if panel.figure_json is None:
            body = f'<p class="problem">{html.escape(panel.problem or "no data yet")}</p>'
        else:
            body = f'<div id="{panel.id}"></div>'
            figures[panel.id] = panel.figure_json
        sections.append(
            f'<section data-chart="{panel.id}" data-rows="{panel.rows}" '
            f'aria-label="{html.escape(panel.title)}">{body}</section>'
        )
    # Figures are JSON inside a script element: only "</" could end it early.
    payload = "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in figures.items()) + "}"
    payload = payload.replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Backbeat dashboard</title>
<style>{_STYLE}</style>
<script src="{PLOTLY_JS_PATH}"></script>
</head><body data-drawn="0">
<header><h1>Backbeat</h1><p>{html.escape(subtitle)}</p></header>
<main>{"".join(sections)}</main>
<script>
const figures = {payload};
let drawn = 0;
for (const [id, figure] of Object.entries(figures)) {{
  Plotly.newPlot(id, figure.data, figure.layout, {{responsive: true, displaylogo: false}})
    .then(() => {{
      document.getElementById(id).parentElement.dataset.drawn = "true";
      document.body.dataset.drawn = String(++drawn);
    }});
}}
{_follow_script(drawn_for, poll_s) if poll_s else ""}
</script>
</body></html>
"""


def _follow_script(drawn_for: str, poll_s: float) -> str:
    return (
        f"const drawnFor = {json.dumps(drawn_for)};\n"
        "setInterval(async () => {\n"
        "  try {\n"
        f'    const answer = await fetch("{DRAWN_PATH}", {{cache: "no-store"}});\n'
        "    if (answer.ok && (await answer.text()) !== drawnFor) location.reload();\n"
        "  } catch (error) {}  // the server is restarting: ask again next time\n"
        f"}}, {int(poll_s * 1000)});"
    )
