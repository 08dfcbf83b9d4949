"""The four eventsim topics as typed records, byte-compatible with eventsim's Kafka fork.

Field order is the order eventsim writes (it differs per topic: song fields lead in
`listen_events` and trail in `page_view_events`). A field that does not apply is UNSET and
omitted from the JSON, never null. Python names are snake_case; JSON names are eventsim's
camelCase (`session_id` <-> `sessionId`).

Device fields (`city` ... `lat`) are always written by the Kafka fork, but are optional
here because events mapped from the old single-stream format have no zip or coordinates.
Unknown fields are rejected rather than dropped, so nothing is silently lost on the way to raw.

Every number is bounded to what its warehouse column holds and what the field can mean (ids
within INT64 and not negative, times within TIMESTAMP's range, coordinates on the globe,
durations positive), so a record that passes decoding can always be stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

import msgspec
from msgspec import UNSET, Meta, UnsetType

from backbeat.kafka.topics import JUDGEMENTS_TOPIC, OFFER_EVENTS_TOPIC, OFFERS_TOPIC

INT64_MAX: Final = 2**63 - 1
#: 9999-12-31T23:59:59.999Z, the last instant a BigQuery TIMESTAMP (and Python's date) holds.
MAX_EPOCH_MS: Final = 253_402_300_799_999

#: Epoch milliseconds from 1970 to the end of year 9999 (the event-time window is narrower).
EpochMs = Annotated[int, Meta(ge=0, le=MAX_EPOCH_MS)]
#: A user, session or position counter: an INT64 that is never negative.
Id = Annotated[int, Meta(ge=0, le=INT64_MAX)]
HttpStatus = Annotated[int, Meta(ge=100, le=599)]
Latitude = Annotated[float, Meta(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Meta(ge=-180.0, le=180.0)]
#: A song's length in seconds: positive and finite (a day at most).
Seconds = Annotated[float, Meta(gt=0.0, le=86_400.0)]
Priority = Annotated[int, Meta(ge=-INT64_MAX, le=INT64_MAX)]


class EventRecord(
    msgspec.Struct,
    kw_only=True,
    omit_defaults=True,
    forbid_unknown_fields=True,
    rename="camel",
    gc=False,
):
    """Base of the four topic records: eventsim's JSON configuration (camelCase, absent
    fields left out). The fields are declared per topic, each where eventsim writes it, since
    msgspec writes fields in declaration order, a base class's first; the fields every topic
    has are also declared here, for the type checker only."""

    if TYPE_CHECKING:
        ts: EpochMs  # event time
        session_id: Id


class PageViewEvent(EventRecord, kw_only=True):
    """`page_view_events`: one per simulated event."""

    ts: EpochMs
    session_id: Id
    page: str
    auth: str
    method: str
    status: HttpStatus
    level: str
    item_in_session: Id
    city: str | UnsetType = UNSET
    zip: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    user_agent: str | UnsetType = UNSET
    lon: Longitude | UnsetType = UNSET
    lat: Latitude | UnsetType = UNSET
    user_id: Id | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    gender: str | UnsetType = UNSET
    registration: EpochMs | UnsetType = UNSET
    tag: str | UnsetType = UNSET
    artist: str | UnsetType = UNSET
    song: str | UnsetType = UNSET
    duration: Seconds | UnsetType = UNSET


class ListenEvent(EventRecord, kw_only=True):
    """`listen_events`: one per NextSong; `ts` is when the song starts."""

    artist: str
    song: str
    duration: Seconds
    ts: EpochMs
    session_id: Id
    auth: str
    level: str
    item_in_session: Id
    city: str | UnsetType = UNSET
    zip: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    user_agent: str | UnsetType = UNSET
    lon: Longitude | UnsetType = UNSET
    lat: Latitude | UnsetType = UNSET
    user_id: Id | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    gender: str | UnsetType = UNSET
    registration: EpochMs | UnsetType = UNSET
    tag: str | UnsetType = UNSET


class AuthEvent(EventRecord, kw_only=True):
    """`auth_events`: the event right after a Login page; user fields only on success."""

    ts: EpochMs
    session_id: Id
    level: str
    item_in_session: Id
    city: str | UnsetType = UNSET
    zip: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    user_agent: str | UnsetType = UNSET
    lon: Longitude | UnsetType = UNSET
    lat: Latitude | UnsetType = UNSET
    user_id: Id | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    gender: str | UnsetType = UNSET
    registration: EpochMs | UnsetType = UNSET
    tag: str | UnsetType = UNSET
    success: bool


class StatusChangeEvent(EventRecord, kw_only=True):
    """`status_change_events`: a Submit Upgrade / Submit Downgrade; `level` is the level before."""

    ts: EpochMs
    session_id: Id
    auth: str
    level: str
    item_in_session: Id
    city: str | UnsetType = UNSET
    zip: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    user_agent: str | UnsetType = UNSET
    lon: Longitude | UnsetType = UNSET
    lat: Latitude | UnsetType = UNSET
    user_id: Id | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    gender: str | UnsetType = UNSET
    registration: EpochMs | UnsetType = UNSET
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

    ts: EpochMs
    offer_id: str
    user_id: Id
    rule_id: str
    offer_type: str
    reason: str
    priority: Priority
    expires_at: EpochMs
    holdout: bool
    payload: str


class OfferEventRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, gc=False):
    """`offer_events`: what the app reported through the API about an offer (impression,
    click, accept, dismiss); `ts` is when the API received it."""

    ts: EpochMs
    offer_id: str
    user_id: Id
    offer_type: str
    type: str


class JudgementRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, gc=False):
    """`recommendation_judgements`: one record per play the sessions dataflow judged: was the
    song among the 10 the recommender, and the 10 most popular unheard songs, would have
    served just before it (`served`: which of the two the API was serving then). `ts` is the
    play's event time."""

    ts: EpochMs
    user_id: Id
    song_id: str
    served: str
    recommender_hit: bool
    popularity_hit: bool


#: Every topic the loader lands in raw, with its record type.
LOADED_SCHEMAS: Final[dict[str, type[msgspec.Struct]]] = {
    **TOPIC_SCHEMAS,
    OFFERS_TOPIC: OfferRecord,
    OFFER_EVENTS_TOPIC: OfferEventRecord,
    JUDGEMENTS_TOPIC: JudgementRecord,
}
