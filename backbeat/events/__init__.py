"""eventsim's event formats: the four topic records, their exact JSON, and the old format.

from backbeat.events import ListenEvent, encode, decode
"""

from backbeat.events.codec import EventDecodeError, decode, encode, topic_of
from backbeat.events.schemas import (
    TOPIC_SCHEMAS,
    AuthEvent,
    EventRecord,
    ListenEvent,
    PageViewEvent,
    StatusChangeEvent,
)

__all__ = [
    "TOPIC_SCHEMAS",
    "AuthEvent",
    "EventDecodeError",
    "EventRecord",
    "ListenEvent",
    "PageViewEvent",
    "StatusChangeEvent",
    "decode",
    "encode",
    "topic_of",
]
