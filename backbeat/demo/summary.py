"""What a demo ran, as figures read back from the warehouse (the same questions anyone can
ask it afterwards with `backbeat sql`), and how they are shown."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from backbeat.warehouse.models.spec import default_models
from backbeat.warehouse.queries import Warehouse

OFFERS_SQL: Final = """SELECT COUNT(*) AS decided, COUNTIF(NOT holdout) AS treated,
  COUNTIF(holdout) AS holdout FROM raw.offers"""
ACCEPTED_SQL: Final = "SELECT COUNT(*) FROM raw.offer_events WHERE type = 'accept'"


def table_rows_sql() -> str:
    """Rows in every stored vault and mart table, as (table, rows)."""
    stored = [m.full_name for m in default_models().values() if m.stored]
    return " UNION ALL ".join(
        f"SELECT '{name}' AS tbl, COUNT(*) AS n FROM {name}"  # noqa: S608 (model names)
        for name in stored
    )


@dataclass
class DemoSummary:
    events_per_topic: dict[str, int] = field(default_factory=dict)
    raw_rows: dict[str, int] = field(default_factory=dict)
    table_rows: dict[str, int] = field(default_factory=dict)
    freshness: list[dict[str, Any]] = field(default_factory=list)
    quality: dict[str, Any] = field(default_factory=dict)
    offers: dict[str, int] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def layer_rows(self) -> dict[str, int]:
        layers = {"raw": sum(self.raw_rows.values())}
        for name, rows in self.table_rows.items():
            layer = name.split(".")[0]
            layers[layer] = layers.get(layer, 0) + rows
        return layers

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"layer_rows": self.layer_rows()}


def read_back(warehouse: Warehouse, freshness_sql: str) -> DemoSummary:
    """The warehouse's side of the summary: rows per table, offers, live freshness."""
    summary = DemoSummary(raw_rows=warehouse.raw_counts())
    summary.table_rows = {str(t): int(n) for t, n in warehouse.query(table_rows_sql()).rows}
    decided, treated, holdout = warehouse.query(OFFERS_SQL).rows[0]
    (accepted,) = warehouse.query(ACCEPTED_SQL).rows[0]
    summary.offers = {  # SUM over no offers is NULL: a small demo may decide none
        "decided": int(decided or 0),
        "treated": int(treated or 0),
        "holdout": int(holdout or 0),
        "accepted": int(accepted or 0),
    }
    result = warehouse.query(freshness_sql)
    summary.freshness = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    return summary


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_summary(summary: DemoSummary, console: Console) -> None:
    events = Table(
        "topic",
        "sent by this demo",
        "rows in raw (every run)",
        title="Events",
        title_justify="left",
    )
    for topic in sorted(set(summary.events_per_topic) | set(summary.raw_rows)):
        sent = summary.events_per_topic.get(topic)
        events.add_row(
            topic, "-" if sent is None else f"{sent:,}", f"{summary.raw_rows.get(topic, 0):,}"
        )
    layers = Table("layer", "rows", title="Warehouse", title_justify="left")
    for layer, rows in summary.layer_rows().items():
        layers.add_row(layer, f"{rows:,}")
    fresh = Table(
        "table", "rows", "event→raw p50 s", "p95 s", "produce→raw p95 s",
        "event→mart p50 s", "p95 s",
        title="Freshness, live events after the history backlog (the promise: within 60 s)",
        title_justify="left",
    )  # fmt: skip
    for row in summary.freshness:
        fresh.add_row(
            str(row["table"]),
            f"{row['rows']:,}",
            _seconds(row["event_to_raw_p50_s"]),
            _seconds(row["event_to_raw_p95_s"]),
            _seconds(row["produce_to_raw_p95_s"]),
            _seconds(row.get("event_to_mart_p50_s")),
            _seconds(row.get("event_to_mart_p95_s")),
        )
    for table in (events, layers, fresh):
        console.print(table)
    quality = summary.quality
    verdict = (
        "[green]passed[/]" if not quality.get("failed") else f"[red]{quality['failed']} failed[/]"
    )
    console.print(f"Quality: {quality.get('checks', 0)} checks, {verdict}")
    for label in quality.get("failed_checks", []):
        console.print(f"  [red]✗[/] {label}")
    offers = summary.offers
    console.print(
        f"Offers: {offers.get('decided', 0):,} decided ({offers.get('treated', 0):,} shown, "
        f"{offers.get('holdout', 0):,} held out), {offers.get('accepted', 0):,} accepted"
    )
    for what, url in summary.urls.items():
        console.print(f"{what}: {url}", highlight=False)
