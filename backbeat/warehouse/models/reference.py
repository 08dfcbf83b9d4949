"""The warehouse reference (docs/warehouse.md), generated from the model headers so the
documented columns are the columns the tables have."""

from __future__ import annotations

from backbeat.warehouse.models.spec import LAYERS, Model

_INTRO = """# Warehouse reference

Generated from the headers of `warehouse_sql/` by `backbeat models --docs -o docs/warehouse.md`;
a test fails when this file and the models disagree. Table names are the same on both
backends (`vault.<model>`, `marts.<model>`); dates and hours are UTC. How the models are
written, keyed and built: [warehouse_sql/README.md](../warehouse_sql/README.md).
"""


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_reference(models: dict[str, Model]) -> str:
    lines = [_INTRO]
    for layer in LAYERS:
        layer_models = sorted(
            (m for m in models.values() if m.layer == layer), key=lambda m: m.name
        )
        if not layer_models:
            continue
        lines.append(f"## {layer}\n")
        for model in layer_models:
            lines.append(f"### `{model.full_name}`\n")
            built: str = model.materialized
            if model.refresh == "periodic":
                built += (
                    ", refreshed periodically (BACKBEAT_WAREHOUSE_BUILD_PERIODIC_REFRESH_MINUTES)"
                )
            facts = [f"**Grain:** {_one_line(model.grain)}", f"**Built:** {built}"]
            if model.key:
                facts.append(f"**Key:** {', '.join(f'`{k}`' for k in model.key)}")
            if model.partition_by:
                facts.append(f"**Partitioned by:** `{model.partition_by}` (BigQuery)")
            if model.cluster_by:
                facts.append(f"**Clustered by:** {', '.join(f'`{c}`' for c in model.cluster_by)}")
            lines.append(" · ".join(facts) + "\n")
            if model.description:
                lines.append(_one_line(model.description) + "\n")
            if model.rebuild_reason:
                lines.append(f"Rebuilt each time: {_one_line(model.rebuild_reason)}\n")
            if model.columns:
                lines.append("| column | type | meaning |\n|---|---|---|")
                lines.extend(
                    f"| `{c.name}` | {c.type} | {_one_line(c.doc)} |" for c in model.columns
                )
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"
