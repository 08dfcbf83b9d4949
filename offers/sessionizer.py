"""Sessions in event time for one key (a user, or a guest's eventsim session).

Pure logic. A session is a run of events with no gap longer than `gap_ms` between them.
Events arrive out of order: the key's watermark is its newest event time minus
`lateness_ms`. An event at or after the watermark is applied to the session it falls in;
if it bridges two sessions they become one. An event before the watermark is too late:
`add` returns None and the caller counts and logs it (it is never applied silently, and
never silently dropped). A session is closed once the watermark has passed its last event
plus the gap: no event that could still be applied would touch it.

eventsim's `sessionId` is not trusted (it is per simulated visit, and other producers
may reuse or omit it); each session records the eventsim ids it saw, so agreement with it
can be measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from offers.features import PageView, SessionFeatures


@dataclass
class Sessionizer:
    gap_ms: int
    lateness_ms: int
    sessions: list[SessionFeatures] = field(default_factory=list)
    newest_ms: int | None = None

    @property
    def watermark_ms(self) -> int | None:
        return None if self.newest_ms is None else self.newest_ms - self.lateness_ms

    def add(self, view: PageView) -> SessionFeatures | None:
        """Apply `view`; the session it now belongs to, or None when it is too late."""
        watermark = self.watermark_ms
        if watermark is not None and view.ts < watermark:
            return None
        touching = self.touching(view.ts)
        if touching:
            session = touching[0]
            for other in touching[1:]:
                session.absorb(other)
                self.sessions.remove(other)
        else:
            session = SessionFeatures.start(view)
            self.sessions.append(session)
            self.sessions.sort(key=lambda s: s.started_at_ms)
        session.apply(view)
        self.newest_ms = view.ts if self.newest_ms is None else max(self.newest_ms, view.ts)
        return session

    def touching(self, ts: int) -> list[SessionFeatures]:
        """The open sessions an event at `ts` falls in (more than one: it joins them)."""
        return [
            s
            for s in self.sessions
            if s.started_at_ms - self.gap_ms <= ts <= s.last_event_ms + self.gap_ms
        ]

    def current(self) -> SessionFeatures | None:
        """The session of the newest event (the one a live user is in)."""
        return max(self.sessions, key=lambda s: s.last_event_ms, default=None)

    def close_before(self, watermark_ms: int) -> list[SessionFeatures]:
        """Remove and return the sessions no applicable event can reach any more."""
        closed = [s for s in self.sessions if s.last_event_ms + self.gap_ms < watermark_ms]
        self.sessions = [s for s in self.sessions if s not in closed]
        return closed

    def next_close_ms(self) -> int | None:
        """The watermark at which the earliest open session closes (None: none open)."""
        return min((s.last_event_ms + self.gap_ms + 1 for s in self.sessions), default=None)
