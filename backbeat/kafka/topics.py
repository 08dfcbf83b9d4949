"""The topics Backbeat reads and writes, and how they are created."""

from __future__ import annotations

from typing import Final

#: eventsim's four topics, carrying its JSON exactly (see docs and backbeat.events).
EVENT_TOPICS: Final = ("listen_events", "page_view_events", "auth_events", "status_change_events")
#: Offers the sessions dataflow decided, and what users did with them (through the API).
OFFERS_TOPIC: Final = "offers"
OFFER_EVENTS_TOPIC: Final = "offer_events"
#: Every record some stage rejected, with the reason (see backbeat.kafka.dead_letter).
DEAD_LETTER_TOPIC: Final = "dead_letter"
#: Topics Backbeat adds: decided offers, feedback from the API, and rejected records.
PLATFORM_TOPICS: Final = (OFFERS_TOPIC, OFFER_EVENTS_TOPIC, DEAD_LETTER_TOPIC)
ALL_TOPICS: Final = EVENT_TOPICS + PLATFORM_TOPICS
#: What the loader lands in raw: the events, the offers decided and what users did with them.
LOADED_TOPICS: Final = (*EVENT_TOPICS, OFFERS_TOPIC, OFFER_EVENTS_TOPIC)
#: What the loader reads: those, and the dead letters other stages sent (into raw.dead_letter).
LOADER_TOPICS: Final = (*LOADED_TOPICS, DEAD_LETTER_TOPIC)
