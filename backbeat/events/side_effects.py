"""Which topics one simulated event is written to: eventsim's rules, in one place.

Every event is a `page_view_events` record. Besides it, in eventsim's write order:
`listen_events` for NextSong, `status_change_events` for Submit Upgrade / Submit Downgrade,
and `auth_events` when the session's *previous state* was Login.

eventsim does not update the previous state when it enters a 3xx state (every form submit),
so a failed login followed by another Login page makes that second Login page emit an
auth event itself (reference §1.6 quirk 1). Backbeat reproduces this, because real eventsim
output has it and downstream code must handle it either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

LISTEN_PAGE: Final = "NextSong"
STATUS_CHANGE_PAGES: Final = frozenset({"Submit Upgrade", "Submit Downgrade"})
LOGIN_PAGE: Final = "Login"
LOGGED_IN: Final = "Logged In"


def is_redirect(status: int) -> bool:
    """eventsim's 3xx states: form submits that take exactly one second."""
    return 300 <= status < 400


@dataclass(slots=True)
class AuthCursor:
    """Tracks one session's current and previous state the way eventsim does."""

    current_page: str | None = None
    previous_page: str | None = None

    def visit(self, page: str, status: int) -> bool:
        """Move to `page`; True if this event also writes an `auth_events` record."""
        if not is_redirect(status):
            self.previous_page = self.current_page
        self.current_page = page
        return self.previous_page == LOGIN_PAGE


def writes_listen(page: str) -> bool:
    return page == LISTEN_PAGE


def writes_status_change(page: str) -> bool:
    return page in STATUS_CHANGE_PAGES
