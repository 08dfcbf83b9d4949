"""The four eventsim topics as typed records, byte-compatible with eventsim's Kafka fork.

Field order is the order eventsim writes (it differs per topic: song fields lead in
`listen_events` and trail in `page_view_events`). A field that does not apply is UNSET and
omitted from the JSON, never null. Python names are snake_case; JSON names are eventsim's
camelCase (`session_id` <-> `sessionId`).

Device fields (`city` ... `lat`) are always written by the Kafka fork, but are optional
here because events mapped from the old single-stream format have no zip or coordinates.
Unknown fields are rejected rather than dropped, so nothing is silently lost on the way to raw.
"""

from __future__ import annotations

from typing import Final

import msgspec
from msgspec import UNSET, UnsetType

from backbeat.kafka.topics import OFFER_EVENTS_TOPIC, OFFERS_TOPIC


class EventRecord(
    msgspec.Struct,
    kw_only=True,
    omit_defaults=True,
    forbid_unknown_fields=True,
    rename="camel",
    gc=False,
):
    """Base of the four topic records (configuration only; fields are per topic)."""


class PageViewEvent(EventRecord, kw_only=True):
    """`page_view_events`: one per simulated event."""

    ts: int
    session_id: int
    page: str
    auth: str
    method: str
    status: int
    level: str
    item_in_session: int
    city: str | UnsetType = UNSET
    zip: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    user_agent: str | UnsetType = UNSET
    lon: float | UnsetType = UNSET
    lat: float | UnsetType = UNSET
    user_id: int | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    gender: str | UnsetType = UNSET
    registration: int | UnsetType = UNSET
    tag: str | UnsetType = UNSET
    artist: str | UnsetType = UNSET
    song: str | UnsetType = UNSET
    duration: float | UnsetType = UNSET


class ListenEvent(EventRecord, kw_only=True):
    """`listen_events`: one per NextSong; `ts` is when the song starts."""

    artist: str
    song: str
    duration: float
    ts: int
    session_id: int
    auth: str
    level: str
    item_in_session: int
    city: str | UnsetType = UNSET
    zip: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    user_agent: str | UnsetType = UNSET
    lon: float | UnsetType = UNSET
    lat: float | UnsetType = UNSET
    user_id: int | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    gender: str | UnsetType = UNSET
    registration: int | UnsetType = UNSET
    tag: str | UnsetType = UNSET


class AuthEvent(EventRecord, kw_only=True):
    """`auth_events`: the event right after a Login page; user fields only on success."""

    ts: int
    session_id: int
    level: str
    item_in_session: int
    city: str | UnsetType = UNSET
    zip: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    user_agent: str | UnsetType = UNSET
    lon: float | UnsetType = UNSET
    lat: float | UnsetType = UNSET
    user_id: int | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    gender: str | UnsetType = UNSET
    registration: int | UnsetType = UNSET
    tag: str | UnsetType = UNSET
    success: bool


class StatusChangeEvent(EventRecord, kw_only=True):
    """`status_change_events`: a Submit Upgrade / Submit Downgrade; `level` is the level before."""

    ts: int
    session_id: int
    auth: str
    level: str
    item_in_session: int
    city: str | UnsetType = UNSET
    zip: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    user_agent: str | UnsetType = UNSET
    lon: float | UnsetType = UNSET
    lat: float | UnsetType = UNSET
    user_id: int | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    gender: str | UnsetType = UNSET
    registration: int | UnsetType = UNSET
    tag: str | UnsetType = UNSET


Event = PageViewEvent | ListenEvent | AuthEvent | StatusChangeEvent

#: Each eventsim topic and the record it carries.
TOPIC_SCHEMAS: Final[dict[str, type[EventRecord]]] = {
    "listen_events": ListenEvent,
    "page_view_events": PageViewEvent,
    "auth_events": AuthEvent,
    "status_change_events": StatusChangeEvent,
}
SCHEMA_TOPICS: Final = {schema: topic for topic, schema in TOPIC_SCHEMAS.items()}


class OfferRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, gc=False):
    """`offers`: Backbeat's own topic, one record per offer the sessions dataflow decided
    (holdout ones too), so the loader lands the history in raw. snake_case JSON; `ts` is
    the event time of the page view that triggered it, `expires_at` epoch ms, `payload` the
    offer's details as a JSON object in a string."""

    ts: int
    offer_id: str
    user_id: int
    rule_id: str
    offer_type: str
    reason: str
    priority: int
    expires_at: int
    holdout: bool
    payload: str


class OfferEventRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, gc=False):
    """`offer_events`: what the app reported through the API about an offer (impression,
    click, accept, dismiss); `ts` is when the API received it."""

    ts: int
    offer_id: str
    user_id: int
    offer_type: str
    type: str


#: Every topic the loader lands in raw, with its record type.
LOADED_SCHEMAS: Final[dict[str, type[msgspec.Struct]]] = {
    **TOPIC_SCHEMAS,
    OFFERS_TOPIC: OfferRecord,
    OFFER_EVENTS_TOPIC: OfferEventRecord,
}
