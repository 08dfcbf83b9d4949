"""Loader rows as the protocol-buffer rows the BigQuery Storage Write API takes.

The Write API needs a proto message whose fields name the table's columns. Backbeat builds
one per raw table at run time from the same column list the tables are created from, so the
two cannot drift. Type mapping (https://cloud.google.com/bigquery/docs/write-api#data_type_conversions):
TIMESTAMP is int64 microseconds since the epoch, DATE is int32 days since the epoch.

Pure logic: nothing here talks to BigQuery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import msgspec
from google.protobuf import descriptor_pb2, descriptor_pool, message, message_factory

from backbeat.warehouse.raw_schema import DEAD_LETTER_TABLE, table_columns
from backbeat.warehouse.rows import DeadRow, RawRow

_Field = descriptor_pb2.FieldDescriptorProto
PROTO_TYPES: Final = {
    "STRING": _Field.TYPE_STRING,
    "INT64": _Field.TYPE_INT64,
    "FLOAT64": _Field.TYPE_DOUBLE,
    "BOOL": _Field.TYPE_BOOL,
    "TIMESTAMP": _Field.TYPE_INT64,
    "DATE": _Field.TYPE_INT32,
    "BYTES": _Field.TYPE_BYTES,
}
_JSON = msgspec.json.Decoder()


@dataclass(frozen=True)
class TableProto:
    """The proto message of one table: its descriptor (sent as the writer schema) and class."""

    table: str
    descriptor: descriptor_pb2.DescriptorProto
    message_class: Callable[..., message.Message]
    timestamp_columns: frozenset[str]


@cache
def table_proto(table: str) -> TableProto:
    """The proto message whose fields are the columns of `raw.<table>`, in order."""
    columns = table_columns(table)
    file = descriptor_pb2.FileDescriptorProto(name=f"backbeat_{table}.proto", package="backbeat")
    row = file.message_type.add(name=f"Raw_{table}")
    for number, (name, kind) in enumerate(columns, start=1):
        try:
            proto_type = PROTO_TYPES[kind]
        except KeyError:
            raise ValueError(f"no Storage Write API type for {kind} ({table}.{name})") from None
        row.field.add(name=name, number=number, type=proto_type, label=_Field.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    found = pool.FindMessageTypeByName(f"backbeat.{row.name}")
    descriptor = descriptor_pb2.DescriptorProto()
    found.CopyToProto(descriptor)
    return TableProto(
        table,
        descriptor,
        message_factory.GetMessageClass(found),
        frozenset(name for name, kind in columns if kind == "TIMESTAMP"),
    )


def event_row_bytes(row: RawRow, ingested_ms: int) -> bytes:
    """A valid event as a serialized row of `raw.<topic>` (absent fields stay NULL)."""
    proto = table_proto(row.topic)
    event: dict[str, Any] = _JSON.decode(row.value)
    fields = {
        name: value * 1000 if name in proto.timestamp_columns else value
        for name, value in event.items()
        if value is not None
    }
    fields.update(
        _topic=row.topic,
        _partition=row.partition,
        _offset=row.offset,
        _ingested_at=ingested_ms * 1000,
        event_date=row.event_day,
    )
    if row.kafka_ts_ms >= 0:  # -1: Kafka gave no timestamp (NULL)
        fields["_kafka_ts"] = row.kafka_ts_ms * 1000
    serialized: bytes = proto.message_class(**fields).SerializeToString()
    return serialized


def dead_row_bytes(row: DeadRow) -> bytes:
    """A rejected record as a serialized row of `raw.dead_letter` (absent values NULL)."""
    proto = table_proto(DEAD_LETTER_TABLE)
    fields = {
        name: value * 1000 if name in proto.timestamp_columns else value  # type: ignore[operator]
        for name, value in row.columns().items()
        if value is not None
    }
    serialized: bytes = proto.message_class(**fields, event_date=row.event_day).SerializeToString()
    return serialized
