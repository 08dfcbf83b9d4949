"""Hypothesis strategies for what a hostile or careless producer can put on a topic.

Records are built as bytes by hand, not with a JSON library, so they can hold what no
serializer writes: a key twice, invalid UTF-8 inside a string, a lone surrogate escape.
Each topic's records start from its schema: every field is kept with a valid value (edge
values included), given a value of another type or range, or left out; keys the schema
does not know are added now and then. Arbitrary bytes cover the rest.
"""

from __future__ import annotations

import json
import time
from typing import Any

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from backbeat.events.codec import DEFAULT_WINDOW
from backbeat.events.schemas import INT64_MAX, LOADED_SCHEMAS, MAX_EPOCH_MS

_WINDOW = DEFAULT_WINDOW
INT64 = st.integers(min_value=-(2**63), max_value=INT64_MAX)


def _event_time() -> st.SearchStrategy[int]:
    now = int(time.time() * 1000)
    return st.integers(min_value=_WINDOW.earliest_ms, max_value=now) | st.sampled_from(
        [_WINDOW.earliest_ms, now]
    )


_VALID: dict[str, st.SearchStrategy[Any]] = {
    "ts": _event_time(),
    "sessionId": st.integers(0, INT64_MAX),
    "itemInSession": st.integers(0, INT64_MAX),
    "userId": st.integers(0, INT64_MAX),
    "user_id": st.integers(0, INT64_MAX),
    "status": st.integers(100, 599),
    "lat": st.floats(-90, 90),
    "lon": st.floats(-180, 180),
    "duration": st.floats(min_value=0, max_value=86_400, exclude_min=True),
    "registration": st.integers(0, MAX_EPOCH_MS),
    "expires_at": st.integers(0, MAX_EPOCH_MS),
    "priority": st.integers(-INT64_MAX, INT64_MAX),
    "success": st.booleans(),
    "holdout": st.booleans(),
}
_TEXT = st.text(max_size=40) | st.sampled_from(["", "Björk", "\x00", "a\nb", "🎵" * 10])

#: Any JSON value a wrong producer might send instead.
_WRONG: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, -(2**63) - 1, 10**15, 10**18, -1, 0, 4_102_444_800_000]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([-0.0, 1e308, -1e308, 5e-324, 91.0, -181.0]),
    st.booleans(),
    st.none(),
    _TEXT,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
#: Bytes of a JSON string no serializer writes.
_RAW_STRINGS = st.sampled_from(
    [b'"\xff\xfe"', b'"caf\xe9"', b'"\\ud800"', b'"\\udc00x"', b'"\\u0000"', b'"\xc3"', b'"\\x41"']
)


def _fields(topic: str) -> list[msgspec.structs.FieldInfo]:
    return list(msgspec.structs.fields(LOADED_SCHEMAS[topic]))


def _valid_value(field: msgspec.structs.FieldInfo) -> st.SearchStrategy[Any]:
    return _VALID.get(field.encode_name, _TEXT)


@st.composite
def event_shaped(draw: st.DrawFn, topic: str) -> bytes:
    """A JSON object shaped like a `topic` record: valid, or with a few fields wrong (another
    type or range, absent, bytes no serializer writes), a key it does not know, a key twice."""
    fields = _fields(topic)
    faults = draw(st.sampled_from([0, 0, 0, 1, 1, 2, len(fields)]))
    faulty = set(draw(st.permutations(range(len(fields))))[:faults])
    parts: list[tuple[bytes, bytes]] = []
    for index, field in enumerate(fields):
        key = json.dumps(field.encode_name).encode()
        if index in faulty:
            fault = draw(st.sampled_from(["wrong", "wrong", "absent", "raw"]))
            if fault == "wrong":
                parts.append((key, json.dumps(draw(_WRONG)).encode()))
            elif fault == "raw":
                parts.append((key, draw(_RAW_STRINGS)))
            continue
        if not field.required and draw(st.booleans()):
            continue
        value = draw(_valid_value(field))
        parts.append((key, json.dumps(value, ensure_ascii=draw(st.booleans())).encode()))
    if draw(st.integers(0, 9)) == 0:  # a key the schema does not know
        parts.append((json.dumps(draw(st.text(max_size=8))).encode(), b"1"))
    if parts and draw(st.integers(0, 9)) == 0:  # a key twice, with another value
        key, _ = draw(st.sampled_from(parts))
        parts.append((key, json.dumps(draw(_WRONG)).encode()))
    body = b"{" + b",".join(k + b":" + v for k, v in parts) + b"}"
    return body + (b"\n" if draw(st.booleans()) else b"")


def any_record(topics: tuple[str, ...]) -> st.SearchStrategy[tuple[str, bytes]]:
    """(topic, value): mostly event-shaped records of one of `topics`, sometimes any bytes."""
    shaped = st.sampled_from(topics).flatmap(
        lambda topic: st.tuples(st.just(topic), event_shaped(topic))
    )
    garbage = st.tuples(st.sampled_from(topics), st.binary(max_size=300))
    return st.one_of(shaped, shaped, shaped, garbage)


def fuzzing(examples: int) -> settings:
    """Hypothesis settings of every fuzz test: the same examples on every run and machine
    (CI reproduces a failure), no deadline (tests never time anything), and fixtures of the
    test kept across examples (a Kafka, a temporary folder)."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
