from __future__ import annotations

import pytest
from msgspec import UNSET

from backbeat.events import EventDecodeError, ListenEvent, PageViewEvent, decode, encode

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
