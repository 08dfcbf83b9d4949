"""BigQuery definitions of the raw tables, from the same schema as the DuckDB backend.

Raw tables are partitioned by day on `event_date` (so a day's scan reads a day) and clustered
first by `_ingested_at`, then by user: a warehouse build reads raw by load time
(`_ingested_at > @since`), which does not prune event-date partitions, so without this
clustering every build would scan the columns it reads over all of raw, and a 15 s cadence
would bill the whole history 5,760 times a day. Clustered on load time, BigQuery prunes the
blocks loaded before the window. `dead_letter` is clustered by the topic it came from.
https://cloud.google.com/bigquery/docs/partitioned-tables ,
https://cloud.google.com/bigquery/docs/querying-clustered-tables
"""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud import bigquery

from backbeat.kafka.topics import (
    EVENT_TOPICS,
    JUDGEMENTS_TOPIC,
    OFFER_EVENTS_TOPIC,
    OFFERS_TOPIC,
)
from backbeat.warehouse.quality_table import RESULT_COLUMNS, RESULTS_TABLE
from backbeat.warehouse.raw_schema import DEAD_LETTER_TABLE, raw_columns, table_columns

PARTITION_FIELD = "event_date"
#: What builds filter raw by: the first clustering column of every table they read.
LOAD_TIME_FIELD = "_ingested_at"


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: list[tuple[str, str]]
    clustering: list[str]
    description: str

    def schema(self) -> list[bigquery.SchemaField]:
        return [bigquery.SchemaField(name, kind, mode="NULLABLE") for name, kind in self.columns]


def raw_table_specs() -> list[TableSpec]:
    specs = [
        TableSpec(
            topic,
            raw_columns(topic),
            [LOAD_TIME_FIELD, "userId"],
            f"eventsim `{topic}` as received: one row per Kafka record (_partition, _offset).",
        )
        for topic in EVENT_TOPICS
    ]
    specs.append(
        TableSpec(
            OFFERS_TOPIC,
            raw_columns(OFFERS_TOPIC),
            [LOAD_TIME_FIELD, "user_id"],
            "Offers decided by the sessions dataflow (holdout too): one row per Kafka record.",
        )
    )
    specs.append(
        TableSpec(
            OFFER_EVENTS_TOPIC,
            raw_columns(OFFER_EVENTS_TOPIC),
            [LOAD_TIME_FIELD, "offer_id"],
            "Impressions, clicks, accepts and dismissals reported through the offer API.",
        )
    )
    specs.append(
        TableSpec(
            JUDGEMENTS_TOPIC,
            raw_columns(JUDGEMENTS_TOPIC),
            [LOAD_TIME_FIELD, "user_id"],
            "Plays the sessions dataflow judged: among the recommendations? among the popular?",
        )
    )
    specs.append(
        TableSpec(
            DEAD_LETTER_TABLE,
            table_columns(DEAD_LETTER_TABLE),
            ["source_topic"],
            "Records that failed validation: where they came from, why, and their bytes.",
        )
    )
    return specs


def table_definition(project: str, dataset: str, spec: TableSpec) -> bigquery.Table:
    table = bigquery.Table(f"{project}.{dataset}.{spec.name}", schema=spec.schema())
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field=PARTITION_FIELD
    )
    table.clustering_fields = spec.clustering
    table.description = spec.description
    return table


def quality_results_table(project: str, dataset: str) -> bigquery.Table:
    """`quality.results`: partitioned by day of the scan, clustered by contract."""
    table = bigquery.Table(
        f"{project}.{dataset}.{RESULTS_TABLE}",
        schema=[bigquery.SchemaField(name, kind) for name, kind in RESULT_COLUMNS],
    )
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field="checked_at"
    )
    table.clustering_fields = ["contract"]
    table.description = (
        "Every check of every quality scan (backbeat quality, the quality-scan flow)."
    )
    return table
