"""What the record base declares for the type checker holds for every record at run time."""

from __future__ import annotations

import msgspec

from backbeat.events.schemas import LOADED_SCHEMAS, TOPIC_SCHEMAS


def _fields(schema: type[msgspec.Struct]) -> dict[str, msgspec.structs.FieldInfo]:
    return {f.name: f for f in msgspec.structs.fields(schema)}


def test_every_record_has_a_required_event_time() -> None:
    for topic, schema in LOADED_SCHEMAS.items():
        assert _fields(schema)["ts"].required, topic


def test_every_eventsim_record_has_a_session() -> None:
    for topic, schema in TOPIC_SCHEMAS.items():
        assert _fields(schema)["session_id"].required, topic
