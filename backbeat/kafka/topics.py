"""The topics Backbeat reads and writes, and how they are created."""

from __future__ import annotations

from typing import Final

#: eventsim's four topics, carrying its JSON exactly (see docs and backbeat.events).
EVENT_TOPICS: Final = ("listen_events", "page_view_events", "auth_events", "status_change_events")
#: Offers the sessions dataflow decided, and what users did with them (through the API).
OFFERS_TOPIC: Final = "offers"
OFFER_EVENTS_TOPIC: Final = "offer_events"
#: Topics Backbeat adds: decided offers, feedback from the API, and rejected records.
PLATFORM_TOPICS: Final = (OFFERS_TOPIC, OFFER_EVENTS_TOPIC, "dead_letter")
ALL_TOPICS: Final = EVENT_TOPICS + PLATFORM_TOPICS
#: What the loader lands in raw: the events, the offers decided and what users did with them.
LOADED_TOPICS: Final = (*EVENT_TOPICS, OFFERS_TOPIC, OFFER_EVENTS_TOPIC)
