"""eventsim's old single-stream format (Interana master; Udacity's Sparkify data), mapped
onto the four topics.

The old format is one stream of page views: `userId` is a string (`""` when the user is
hidden), location is a CBSA name ("Bakersfield, CA"), the song length is `length`, and the
user properties sit in the event. Udacity's copies also write every key, with `null` for
absent values and `registration` as a float. Both variants decode here.

Mapping: every event becomes a `page_view_events` record, plus `listen_events`,
`status_change_events` and `auth_events` records by eventsim's own rules (side_effects).
The CBSA name splits at its last ", " into `city` (the metro name) and `state` (its state
codes, e.g. "MA-NH"); the old format has no zip or coordinates, so those stay absent.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from backbeat.events.schemas import (
    AuthEvent,
    EventRecord,
    ListenEvent,
    PageViewEvent,
    StatusChangeEvent,
)
from backbeat.events.side_effects import AuthCursor, writes_listen, writes_status_change


class LegacyEvent(
    msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel", gc=False
):
    """One record of the old single-stream format."""

    ts: int
    user_id: str
    session_id: int
    page: str
    auth: str
    method: str
    status: int
    level: str
    item_in_session: int
    location: str | None = None
    user_agent: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    registration: int | float | None = None
    gender: str | None = None
    tag: str | None = None
    artist: str | None = None
    song: str | None = None
    length: float | None = None


def is_legacy(record: dict[str, Any]) -> bool:
    """True for an old-format record: a string userId (always written there) or its own keys."""
    return isinstance(record.get("userId"), str) or "location" in record or "length" in record


def _split_location(location: str | None) -> tuple[Any, Any]:
    if not location:
        return UNSET, UNSET
    city, sep, state = location.rpartition(", ")
    return (city, state) if sep else (location, UNSET)


def _value(value: Any) -> Any:
    return UNSET if value is None else value


class LegacyMapper:
    """Maps old-format events onto topic records; keeps per-session state for auth events.

    Feed one run's events in their original order (eventsim writes them ts-ordered).
    """

    def __init__(self) -> None:
        self._cursors: dict[int, AuthCursor] = {}

    def map(self, old: LegacyEvent) -> list[EventRecord]:
        """The topic records for one old event, in eventsim's write order."""
        shown = old.user_id != ""
        city, state = _split_location(old.location)
        common: dict[str, Any] = {
            "ts": old.ts,
            "session_id": old.session_id,
            "level": old.level,
            "item_in_session": old.item_in_session,
            "city": city,
            "state": state,
            "user_agent": _value(old.user_agent),
        }
        user: dict[str, Any] = {}
        if shown:
            user = {
                "user_id": int(old.user_id),
                "last_name": _value(old.last_name),
                "first_name": _value(old.first_name),
                "gender": _value(old.gender),
                "registration": UNSET if old.registration is None else round(old.registration),
            }
        tag = {"tag": _value(old.tag)} if shown else {}
        song: dict[str, Any] = {}
        if writes_listen(old.page) and old.artist is not None and old.song is not None:
            song = {"artist": old.artist, "song": old.song, "duration": _value(old.length)}

        records: list[EventRecord] = []
        if song and song["duration"] is not UNSET:
            records.append(ListenEvent(**song, auth=old.auth, **common, **user, **tag))
        if writes_status_change(old.page):
            records.append(StatusChangeEvent(auth=old.auth, **common, **user, **tag))
        cursor = self._cursors.setdefault(old.session_id, AuthCursor())
        if cursor.visit(old.page, old.status):
            success = old.auth == "Logged In"
            auth_user = {**user, **tag} if success else {}
            records.append(AuthEvent(**common, **auth_user, success=success))
        records.append(
            PageViewEvent(
                page=old.page,
                auth=old.auth,
                method=old.method,
                status=old.status,
                **common,
                **user,
                **tag,
                **song,
            )
        )
        return records
