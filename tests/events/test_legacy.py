from __future__ import annotations

import msgspec
from msgspec import UNSET

from backbeat.events.legacy import LegacyEvent, LegacyMapper, is_legacy
from backbeat.events.schemas import AuthEvent, ListenEvent, PageViewEvent, StatusChangeEvent

# Native Interana key order and types (userId a string, location a CBSA name).
NEXT_SONG = (
    b'{"ts":1538352117000,"userId":"30","sessionId":29,"page":"NextSong","auth":"Logged In",'
    b'"method":"PUT","status":200,"level":"paid","itemInSession":50,"location":"Bakersfield, CA",'
    b'"userAgent":"Mozilla/5.0","lastName":"Freeman","firstName":"Colin",'
    b'"registration":1538173362000,"gender":"M","artist":"Martha Tilston","song":"Rockpools",'
    b'"length":277.89016}'
)


def _old(value: bytes) -> LegacyEvent:
    return msgspec.json.decode(value, type=LegacyEvent)


def test_next_song_becomes_a_listen_and_a_page_view() -> None:
    listen, view = LegacyMapper().map(_old(NEXT_SONG))
    assert isinstance(listen, ListenEvent) and isinstance(view, PageViewEvent)
    assert (listen.user_id, listen.duration, listen.city, listen.state) == (
        30,
        277.89016,
        "Bakersfield",
        "CA",
    )
    assert listen.zip is UNSET and listen.lat is UNSET
    assert (view.page, view.artist, view.registration) == (
        "NextSong",
        "Martha Tilston",
        1538173362000,
    )


def test_udacity_nulls_and_hidden_users_map_to_absent_fields() -> None:
    logged_out = (
        b'{"artist":null,"auth":"Logged Out","firstName":null,"gender":null,"itemInSession":0,'
        b'"lastName":null,"length":null,"level":"free","location":null,"method":"GET","page":"Home",'
        b'"registration":null,"sessionId":7,"song":null,"status":200,"ts":1541105830796,'
        b'"userAgent":null,"userId":""}'
    )
    (view,) = LegacyMapper().map(_old(logged_out))
    assert isinstance(view, PageViewEvent)
    assert view.user_id is UNSET and view.city is UNSET and view.artist is UNSET
    assert b"null" not in msgspec.json.encode(view)


def test_multi_state_metro_keeps_its_state_codes() -> None:
    event = _old(NEXT_SONG.replace(b"Bakersfield, CA", b"Boston-Cambridge-Newton, MA-NH"))
    view = LegacyMapper().map(event)[-1]
    assert (view.city, view.state) == ("Boston-Cambridge-Newton", "MA-NH")


def test_submit_upgrade_and_login_side_effects() -> None:
    mapper = LegacyMapper()
    base = NEXT_SONG.replace(
        b',"artist":"Martha Tilston","song":"Rockpools","length":277.89016', b""
    )
    upgrade = _old(
        base.replace(b'"page":"NextSong"', b'"page":"Submit Upgrade"').replace(
            b'"status":200', b'"status":307'
        )
    )
    assert [type(r) for r in mapper.map(upgrade)] == [StatusChangeEvent, PageViewEvent]
    login = _old(
        base.replace(b'"page":"NextSong"', b'"page":"Login"').replace(
            b'"status":200', b'"status":307'
        )
    )
    home = _old(base.replace(b'"page":"NextSong"', b'"page":"Home"'))
    assert [type(r) for r in mapper.map(login)] == [PageViewEvent]
    auth, view = mapper.map(home)
    assert isinstance(auth, AuthEvent) and auth.success and auth.user_id == 30
    assert isinstance(view, PageViewEvent)


def test_format_detection() -> None:
    assert is_legacy({"userId": "", "page": "Home"})
    assert is_legacy({"location": "Bakersfield, CA"})
    assert not is_legacy({"userId": 30, "page": "Home", "city": "Anaheim"})
    assert not is_legacy({"page": "Home", "auth": "Guest"})
