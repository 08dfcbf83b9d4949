"""What an event may carry to be loaded: the window its event time must fall in."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from backbeat.settings.base import SettingsGroup, settings_config


class EventsSettings(SettingsGroup):
    """Validation every consumer applies to the event topics (the loader, the sessions
    dataflow): an event time outside this window is a dead letter, not a row."""

    group = "events"
    model_config = settings_config(group)

    earliest: date = Field(
        default=date(2000, 1, 1),
        description="Events dated before this day (UTC) are rejected. Early enough for "
        "replays of old eventsim output; a zero or garbage `ts` falls before it.",
    )
    max_ahead_minutes: float = Field(
        default=10_080.0,
        ge=0,
        description="Events dated more than this far after the consumer's clock are rejected "
        "(a producer whose clock or code went wrong, or a hostile one). A week by default: "
        "an accelerated simulation (`backbeat generate --speed`) runs ahead of the clock.",
    )
