from __future__ import annotations

import datetime as dt

import pytest
from msgspec import UNSET

from backbeat.events import EventDecodeError, ListenEvent, PageViewEvent, decode, encode
from backbeat.events.codec import key_count

GUEST_HOME = (
    b'{"ts":1703438479902,"sessionId":53,"page":"Home","auth":"Guest","method":"GET",'
    b'"status":200,"level":"free","itemInSession":0,"city":"Miami","zip":"07836","state":"AZ",'
    b'"userAgent":"\\"Mozilla/5.0\\"","lon":-110.894685,"lat":33.339679}\n'
)


def test_absent_fields_are_omitted_never_null() -> None:
    event = decode("page_view_events", GUEST_HOME)
    assert isinstance(event, PageViewEvent)
    assert event.user_id is UNSET and event.artist is UNSET
    assert b"null" not in encode(event)
    assert encode(event) == GUEST_HOME


def test_zip_keeps_leading_zeros_and_duration_prints_as_float32() -> None:
    listen = ListenEvent(
        artist="Des'ree",
        song="You Gotta Be",
        duration=246.30812,
        ts=1541106106796,
        session_id=139,
        auth="Logged In",
        level="free",
        item_in_session=1,
        zip="07836",
    )
    assert encode(listen) == (
        b'{"artist":"Des\'ree","song":"You Gotta Be","duration":246.30812,"ts":1541106106796,'
        b'"sessionId":139,"auth":"Logged In","level":"free","itemInSession":1,"zip":"07836"}\n'
    )


def test_non_ascii_and_slashes_are_written_raw() -> None:
    listen = ListenEvent(
        artist="Björk",
        song="AC/DC",
        duration=1.5,
        ts=1,
        session_id=1,
        auth="Logged In",
        level="paid",
        item_in_session=0,
    )
    assert "Björk".encode() in encode(listen) and b"AC/DC" in encode(listen)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "not JSON"),
        (
            GUEST_HOME.replace(b'"ts":1703438479902', b'"ts":"yesterday"'),
            "Expected `int`, got `str` - at `$.ts`",
        ),
        (GUEST_HOME.replace(b'"page":"Home",', b""), "missing required field `page`"),
        (
            GUEST_HOME.replace(b'"zip":"07836"', b'"zip":7836'),
            "Expected `str`, got `int` - at `$.zip`",
        ),
        (
            GUEST_HOME.replace(b'"lat":33.339679', b'"lat":33.339679,"colour":"red"'),
            "unknown field `colour`",
        ),
    ],
)
def test_bad_records_fail_with_a_reason(value: bytes, reason: str) -> None:
    with pytest.raises(EventDecodeError, match=None) as error:
        decode("page_view_events", value)
    assert reason in str(error.value)


def test_unknown_topic_is_an_error() -> None:
    with pytest.raises(EventDecodeError, match="unknown topic 'plays'"):
        decode("plays", GUEST_HOME)


# Findings of the hostile-producer review (#15): each was accepted, or crashed a consumer.
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ((b'"ts":1703438479902', b'"ts":1000000000000000'), "<= 253402300799999"),
        ((b'"ts":1703438479902', b'"ts":4102444800000'), "ahead of now"),  # the year 2100
        ((b'"ts":1703438479902', b'"ts":0'), "before the earliest accepted"),
        ((b'"page":"Home"', b'"page":"Ho\xffme"'), "not UTF-8"),
        ((b'"page":"Home"', b'"page":"\\ud800"'), "not JSON"),
        ((b'"lat":33.339679}', b'"lat":33.339679,"userId":9223372036854775808}'), "<= 922337"),
        ((b'"lat":33.339679}', b'"lat":33.339679,"userId":-3}'), ">= 0"),
        ((b'"lat":33.339679}', b'"lat":33.339679,"duration":-1.5}'), "> 0.0"),
        ((b'"lat":33.339679}', b'"lat":1e400}'), "out of range"),
        ((b'"lat":33.339679}', b'"lat":91.0}'), "<= 90.0"),
        ((b'"status":200', b'"status":200,"status":404'), "more than once"),
        ((b'"ts":1703438479902', b'"ts":1703438479902, "ts" :1'), "more than once"),
        ((b'"ts":1703438479902', b'"ts":1703438479902,"\\u0074s":1'), "more than once"),
    ],
)
def test_values_no_column_can_hold_or_mean_are_refused(
    change: tuple[bytes, bytes], reason: str
) -> None:
    value = GUEST_HOME.replace(*change)
    assert value != GUEST_HOME
    with pytest.raises(EventDecodeError) as error:
        decode("page_view_events", value)
    assert reason in str(error.value)


def test_quotes_and_colons_inside_strings_are_not_keys() -> None:
    value = GUEST_HOME.replace(b'"userAgent":"\\"Mozilla/5.0\\""', b'"userAgent":"a\\": \\"b\\" :"')
    assert decode("page_view_events", value).user_agent == 'a": "b" :'  # type: ignore[union-attr]
    assert key_count(b'{"a":"x\\":","b" : 1,"c":[1,{"d":2}]}') == 3


def test_the_window_follows_the_settings() -> None:
    from backbeat.events.codec import RecordDecoder
    from backbeat.settings.events import EventsSettings

    strict = RecordDecoder.from_settings(
        EventsSettings(earliest=dt.date(2024, 1, 1), max_ahead_minutes=0)
    )
    with pytest.raises(EventDecodeError, match="before the earliest accepted, 2024-01-01"):
        strict.decode("page_view_events", GUEST_HOME)  # 2023-12-24
