"""Bytes <-> records for the eventsim topics: eventsim's exact JSON, one object per line.

A Kafka value (and a line in eventsim's file mode) is the JSON object followed by `\\n`.
Decoding checks types and rejects unknown fields; the error says what and where, which is
what a dead-letter record carries as its reason.
"""

from __future__ import annotations

from typing import Final, cast

import msgspec

from backbeat.events.schemas import (
    LOADED_SCHEMAS,
    SCHEMA_TOPICS,
    EventRecord,
    OfferEventRecord,
    OfferRecord,
)

_ENCODER: Final = msgspec.json.Encoder()
_DECODERS: Final = {topic: msgspec.json.Decoder(schema) for topic, schema in LOADED_SCHEMAS.items()}


class EventDecodeError(ValueError):
    """A record that is not a valid event of its topic; the message is the reason."""


def encode(event: EventRecord) -> bytes:
    """eventsim's bytes for `event`: keys in its order, absent fields omitted, then `\\n`."""
    return _ENCODER.encode(event) + b"\n"


def topic_of(event: EventRecord) -> str:
    return SCHEMA_TOPICS[type(event)]


def decode(topic: str, value: bytes) -> EventRecord | OfferRecord | OfferEventRecord:
    """The record of `topic` in `value` (a trailing newline is allowed)."""
    decoder = _DECODERS.get(topic)
    if decoder is None:
        raise EventDecodeError(f"unknown topic {topic!r}; expected one of {sorted(_DECODERS)}")
    try:
        return cast(EventRecord | OfferRecord | OfferEventRecord, decoder.decode(value))
    except msgspec.ValidationError as exc:
        raise EventDecodeError(f"invalid {topic} record: {exc}") from None
    except msgspec.DecodeError as exc:
        raise EventDecodeError(f"not JSON: {exc}") from None
