"""The topics Backbeat reads and writes, and how they are created."""

from __future__ import annotations

from typing import Final

#: eventsim's four topics, carrying its JSON exactly (see docs and backbeat.events).
EVENT_TOPICS: Final = ("listen_events", "page_view_events", "auth_events", "status_change_events")
#: Topics Backbeat adds: decided offers, feedback from the API, and rejected records.
PLATFORM_TOPICS: Final = ("offers", "offer_events", "dead_letter")
ALL_TOPICS: Final = EVENT_TOPICS + PLATFORM_TOPICS
#: What the loader lands in raw: the events, the offers decided and what users did with them.
LOADED_TOPICS: Final = (*EVENT_TOPICS, "offers", "offer_events")
