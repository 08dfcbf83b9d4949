"""The topics Backbeat reads and writes, and how they are created."""

from __future__ import annotations

from typing import Final

#: eventsim's four topics, carrying its JSON exactly (see docs and backbeat.events).
EVENT_TOPICS: Final = ("listen_events", "page_view_events", "auth_events", "status_change_events")
#: Offers the sessions dataflow decided, and what users did with them (through the API).
OFFERS_TOPIC: Final = "offers"
OFFER_EVENTS_TOPIC: Final = "offer_events"
#: Each judged play: was it among the recommendations, and among the most popular songs?
JUDGEMENTS_TOPIC: Final = "recommendation_judgements"
#: Every record some stage rejected, with the reason (see backbeat.kafka.dead_letter).
DEAD_LETTER_TOPIC: Final = "dead_letter"
#: Topics Backbeat adds: decided offers, feedback from the API, judged plays, rejected records.
PLATFORM_TOPICS: Final = (OFFERS_TOPIC, OFFER_EVENTS_TOPIC, JUDGEMENTS_TOPIC, DEAD_LETTER_TOPIC)
ALL_TOPICS: Final = EVENT_TOPICS + PLATFORM_TOPICS
#: What the loader lands in raw: the events, the offers and what users did with them, and
#: the judged plays.
LOADED_TOPICS: Final = (*EVENT_TOPICS, OFFERS_TOPIC, OFFER_EVENTS_TOPIC, JUDGEMENTS_TOPIC)
#: What the loader reads: those, and the dead letters other stages sent (into raw.dead_letter).
LOADER_TOPICS: Final = (*LOADED_TOPICS, DEAD_LETTER_TOPIC)
