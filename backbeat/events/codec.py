"""Bytes <-> records for the eventsim topics: eventsim's exact JSON, one object per line.

A Kafka value (and a line in eventsim's file mode) is the JSON object followed by `\\n`.
Decoding checks what a consumer must be able to rely on, whatever a producer sent: valid
UTF-8 JSON, the topic's fields with their types and ranges (backbeat.events.schemas), no key
twice (JSON parsers disagree on which copy wins), and an event time inside the accepted
window. Every failure is an `EventDecodeError` whose message says what and where: it is the
reason a dead letter carries.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, cast

import msgspec
from msgspec import UNSET

from backbeat.events.schemas import (
    LOADED_SCHEMAS,
    EventRecord,
    JudgementRecord,
    OfferEventRecord,
    OfferRecord,
)
from backbeat.settings.events import EventsSettings

_ENCODER: Final = msgspec.json.Encoder()
_DECODERS: Final = {topic: msgspec.json.Decoder(schema) for topic, schema in LOADED_SCHEMAS.items()}
#: Fields each record type may leave out (the others are always present).
_OPTIONAL: Final = {
    topic: tuple(f.name for f in msgspec.structs.fields(schema) if not f.required)
    for topic, schema in LOADED_SCHEMAS.items()
}
_REQUIRED_COUNT: Final = {
    topic: sum(f.required for f in msgspec.structs.fields(schema))
    for topic, schema in LOADED_SCHEMAS.items()
}
#: JSON's tokens, strings whole, so a quote inside a string never starts one.
_TOKENS: Final = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]:,]', re.DOTALL)
_MAX_REASON = 500

#: A record of any topic the loader lands.
Record = EventRecord | OfferRecord | OfferEventRecord | JudgementRecord
_TOPICS: Final = {schema: topic for topic, schema in LOADED_SCHEMAS.items()}


class EventDecodeError(ValueError):
    """A record that is not a valid event of its topic; the message is the reason."""


@dataclass(frozen=True)
class EventTimeWindow:
    """Event times a consumer accepts: from `earliest_ms` to `ahead_ms` past its clock.

    Wide enough for any history (replays of old eventsim output), narrow enough to refuse
    a zero, a garbage value or a clock gone wrong before it reaches a date partition.
    """

    earliest_ms: int
    ahead_ms: int

    @classmethod
    def from_settings(cls, events: EventsSettings) -> EventTimeWindow:
        earliest = events.earliest
        start = datetime(earliest.year, earliest.month, earliest.day, tzinfo=UTC)
        return cls(int(start.timestamp() * 1000), int(events.max_ahead_minutes * 60_000))

    def refusal(self, ts: int, now_ms: int) -> str | None:
        """Why `ts` is outside the window, or None."""
        if ts < self.earliest_ms:
            return (
                f"event time {_iso(ts)} is before the earliest accepted, {_iso(self.earliest_ms)}"
            )
        if ts > now_ms + self.ahead_ms:
            return (
                f"event time {_iso(ts)} is more than {self.ahead_ms // 60_000} minutes "
                f"ahead of now ({_iso(now_ms)})"
            )
        return None


#: The window of the default settings (BACKBEAT_EVENTS_*), for code that has none at hand.
DEFAULT_WINDOW: Final = EventTimeWindow.from_settings(EventsSettings.model_construct())


def _iso(ms: int) -> str:
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
    except (OverflowError, ValueError, OSError):
        return f"{ms} ms"


def printable(reason: str) -> str:
    """A reason safe to store and print: control characters escaped, length bounded."""
    safe = reason.encode("utf-8", "backslashreplace").decode("utf-8")
    safe = "".join(c if c.isprintable() else repr(c)[1:-1] for c in safe)
    return safe if len(safe) <= _MAX_REASON else safe[: _MAX_REASON - 1] + "…"


def not_json(error: msgspec.DecodeError | UnicodeDecodeError) -> str:
    """The reason for bytes that are not a JSON document in UTF-8."""
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8: byte {error.object[error.start]:#04x} in a string"
    return printable(f"not JSON: {error}")


def encode(record: Record) -> bytes:
    """A Kafka value for `record`: for eventsim's topics its exact bytes (keys in its order,
    absent fields omitted), then `\\n`."""
    return _ENCODER.encode(record) + b"\n"


def canonical(record: Record) -> bytes:
    """The record as Backbeat writes it: one copy of each key, valid UTF-8, no newline."""
    return _ENCODER.encode(record)


def topic_of(record: Record) -> str:
    return _TOPICS[type(record)]


def key_count(value: bytes) -> int:
    """The number of keys of the (flat, valid) JSON object in `value`, repeats included."""
    count = 0
    previous = b""
    depth = 0
    for match in _TOKENS.finditer(value):
        token = match.group()
        if token in (b"{", b"["):
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
        elif token == b":" and depth == 1 and previous.startswith(b'"'):
            count += 1
        previous = token
    return count


def repeats_keys(value: bytes, present: int) -> bool:
    """True when the JSON object in `value` has more keys than the `present` distinct ones
    it decoded to. An upper bound on the key count, cheap enough for every record, settles
    most records; the exact count runs only when the bound is loose (a key token is a
    string followed by optional white space and a colon)."""
    bound = (
        value.count(b'":')
        + value.count(b'" ')
        + value.count(b'"\t')
        + value.count(b'"\n')
        + value.count(b'"\r')
    )
    return bound > present and key_count(value) > present


class RecordDecoder:
    """Decodes and checks records of the loaded topics (see the module docstring)."""

    @classmethod
    def from_settings(cls, events: EventsSettings) -> RecordDecoder:
        return cls(EventTimeWindow.from_settings(events))

    def __init__(
        self,
        window: EventTimeWindow | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.window = window or DEFAULT_WINDOW
        self._clock = clock

    def decode(self, topic: str, value: bytes) -> Record:
        """The record of `topic` in `value` (a trailing newline is allowed)."""
        return self.decode_canonical(topic, value)[0]

    def decode_canonical(self, topic: str, value: bytes) -> tuple[Record, bytes]:
        """The record of `topic` in `value` and its canonical bytes (what the loader stores).

        The canonical bytes also settle the repeated-key check for most records: when
        `value` starts with them, what follows can only be white space (the whole of
        `value` decoded as one JSON document), so `value` holds each key exactly once.
        Eventsim and Backbeat's producers write canonical bytes; anything else (other key
        order, spacing, escapes, unknown keys) is counted key by key.
        """
        decoder = _DECODERS.get(topic)
        if decoder is None:
            raise EventDecodeError(
                f"unknown topic {printable(topic)!r}; expected one of {sorted(_DECODERS)}"
            )
        try:
            record = cast(Record, decoder.decode(value))
        except msgspec.ValidationError as exc:
            raise EventDecodeError(printable(f"invalid {topic} record: {exc}")) from None
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise EventDecodeError(not_json(exc)) from None
        stored = _ENCODER.encode(record)
        if not value.startswith(stored) and repeats_keys(value, _present(topic, record)):
            raise EventDecodeError(
                f"invalid {topic} record: a key appears more than once "
                "(JSON readers disagree on which copy counts)"
            )
        refusal = self.window.refusal(record.ts, int(self._clock() * 1000))
        if refusal is not None:
            raise EventDecodeError(f"invalid {topic} record: {refusal}")
        return record, stored


def _present(topic: str, record: Record) -> int:
    """How many keys `record` was decoded from (its required fields and the optional ones set)."""
    return _REQUIRED_COUNT[topic] + sum(
        getattr(record, name) is not UNSET for name in _OPTIONAL[topic]
    )


_DEFAULT: Final = RecordDecoder()


def decode(topic: str, value: bytes) -> Record:
    """The record of `topic` in `value`, checked with the default event-time window."""
    return _DEFAULT.decode(topic, value)
