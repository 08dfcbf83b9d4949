"""The raw layer's tables, derived from the event records (one definition of each field).

One table per loaded topic (the four eventsim topics, `offers` and `offer_events`): every
field under its JSON name, typed (`ts`, `registration` and `expires_at` as TIMESTAMP), then
the Kafka coordinates and load metadata:

| column | meaning |
|---|---|
| `_topic`, `_partition`, `_offset` | where the record was in Kafka: the idempotency key |
| `_kafka_ts` | when Kafka received it (the producer's or broker's timestamp) |
| `_ingested_at` | when the micro-batch holding it was written to the warehouse |
| `event_date` | UTC date of `ts`: the partition (a Hive folder on DuckDB, a column on BigQuery) |

`dead_letter` keeps every rejection, the loader's and those other stages (a replay) sent to
the `dead_letter` topic: where the record came from (a topic's coordinates, or a file and
line), who rejected it (`stage`), the reason, the original bytes, and where the loader read
it (`_topic`, `_partition`, `_offset`: the idempotency key, as in every raw table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Final, get_args, get_origin

import msgspec
from msgspec import UnsetType

from backbeat.events.schemas import LOADED_SCHEMAS
from backbeat.kafka.topics import LOADED_TOPICS

#: Fields stored as TIMESTAMP although the JSON carries epoch milliseconds.
TIMESTAMP_FIELDS: Final = frozenset({"ts", "registration", "expires_at"})
METADATA_COLUMNS: Final = (
    ("_topic", "STRING"),
    ("_partition", "INT64"),
    ("_offset", "INT64"),
    ("_kafka_ts", "TIMESTAMP"),
    ("_ingested_at", "TIMESTAMP"),
)
DEAD_LETTER_TABLE: Final = "dead_letter"
#: Every table of the raw layer: one per loaded topic, then the dead letters.
RAW_TABLES: Final = (*LOADED_TOPICS, DEAD_LETTER_TABLE)
DEAD_LETTER_COLUMNS: Final = (
    ("source_topic", "STRING"),
    ("source_partition", "INT64"),
    ("source_offset", "INT64"),
    ("source_file", "STRING"),
    ("source_line", "INT64"),
    ("stage", "STRING"),
    ("error", "STRING"),
    ("original", "BYTES"),
    ("failed_at", "TIMESTAMP"),
    ("_topic", "STRING"),
    ("_partition", "INT64"),
    ("_offset", "INT64"),
)

_PYTHON_TYPES: Final = {int: "INT64", str: "STRING", float: "FLOAT64", bool: "BOOL"}


@dataclass(frozen=True)
class EventColumn:
    """One event field: its JSON name and its BigQuery-style type."""

    name: str
    type: str

    @property
    def is_timestamp(self) -> bool:
        return self.name in TIMESTAMP_FIELDS


def _python_type(annotation: Any) -> Any:
    """`int` for `int`, `Annotated[int, ...]` and `Annotated[int, ...] | UnsetType`."""
    if get_origin(annotation) is Annotated:
        return _python_type(get_args(annotation)[0])
    options = [option for option in get_args(annotation) if option is not UnsetType]
    return _python_type(options[0]) if options else annotation


def event_columns(topic: str) -> list[EventColumn]:
    """The event fields of `topic`, in eventsim's order, with warehouse types."""
    columns = []
    for field in msgspec.structs.fields(LOADED_SCHEMAS[topic]):
        python_type = _python_type(field.type)
        kind = "TIMESTAMP" if field.encode_name in TIMESTAMP_FIELDS else _PYTHON_TYPES[python_type]
        columns.append(EventColumn(field.encode_name, kind))
    return columns


def raw_columns(topic: str) -> list[tuple[str, str]]:
    """Every column of `raw.<topic>` (event fields, then metadata, then `event_date`)."""
    return (
        [(c.name, c.type) for c in event_columns(topic)]
        + list(METADATA_COLUMNS)
        + [("event_date", "DATE")]
    )


def table_columns(table: str) -> list[tuple[str, str]]:
    """Every column of any raw table, `dead_letter` included."""
    if table == DEAD_LETTER_TABLE:
        return [*DEAD_LETTER_COLUMNS, ("event_date", "DATE")]
    return raw_columns(table)
