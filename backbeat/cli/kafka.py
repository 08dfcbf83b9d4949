"""`backbeat topics`: Backbeat's Kafka topics on any cluster (what `backbeat up` does locally)."""

from __future__ import annotations

from typing import Annotated

import typer

from backbeat.cli._utilities import err_console, print_json, require_kafka
from backbeat.settings import get_settings

app = typer.Typer()


@app.command()
def topics(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was created as JSON.")
    ] = False,
) -> None:
    """Create the topics Backbeat reads and writes where they are missing, with
    BACKBEAT_KAFKA_TOPIC_PARTITIONS and _REPLICATION_FACTOR (the init step of compose and
    Kubernetes; idempotent)."""
    from backbeat.kafka.admin import ensure_topics
    from backbeat.kafka.topics import ALL_TOPICS

    kafka = get_settings().kafka
    require_kafka(kafka)
    created = ensure_topics(kafka, ALL_TOPICS)
    if as_json:
        print_json({"created": created, "existing": [t for t in ALL_TOPICS if t not in created]})
        return
    for topic in ALL_TOPICS:
        state = "created" if topic in created else "exists"
        err_console.print(f"  {topic:<24} {state}", highlight=False)
