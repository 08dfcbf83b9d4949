"""The Kafka key Backbeat's producers give a record: its user, or for guests its session.

Keying by user keeps one user's events in one partition, in order. Events that carry no
user (guests, logged-out pages, failed logins) are keyed by session instead. Consumers must
not rely on keys: real eventsim sends none.
"""

from __future__ import annotations

from msgspec import UNSET

from backbeat.events.schemas import EventRecord


def kafka_key(record: EventRecord) -> bytes:
    user_id = getattr(record, "user_id", UNSET)
    if user_id is not UNSET:
        return str(user_id).encode()
    return f"session-{record.session_id}".encode()
