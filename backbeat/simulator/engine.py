"""The simulation loop: users in a priority queue by next event time, one seeded RNG.

Each step pops the user whose next event is earliest, writes that event (if it falls in
[start, end)) and advances the user's session: the next Markov state and its time, or the
end of the session and the start of the next one. Users added by growth arrive as Guests
at times drawn up front one at a time, so memory grows with the population actually reached.

Deterministic for the same config, parameters, catalogue and seed.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass
from random import Random
from typing import Any

from msgspec import UNSET

from backbeat.events.schemas import (
    AuthEvent,
    EventRecord,
    ListenEvent,
    PageViewEvent,
    StatusChangeEvent,
)
from backbeat.events.side_effects import LOGGED_IN, AuthCursor
from backbeat.simulator import clock, people
from backbeat.simulator.catalogue import Song, SongCatalogue
from backbeat.simulator.config import SimulationConfig
from backbeat.simulator.markov import SessionModel
from backbeat.simulator.responses import RESPONSES, OfferResponder, Response, Steering
from backbeat.simulator.taste import Listener, TasteModel

SECONDS_PER_YEAR = 365.25 * 86400
_MAX_REGISTRATION_AGE_S = 5 * SECONDS_PER_YEAR


@dataclass(frozen=True)
class SimulationParams:
    """One run: when, how many users, and the seed (eventsim's command-line options)."""

    start_ms: int
    end_ms: int | None
    n_users: int
    growth_rate: float = 0.0
    first_user_id: int = 1
    seed: int = 0
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class SimulatedEvent:
    """One record for one topic, with the Kafka key Backbeat's producer uses."""

    topic: str
    key: bytes
    record: EventRecord


class User:
    """A simulated user: fixed properties, plus where they are in their current session.

    Slots only, with the location, user agent and names shared with the lookup tables:
    about 0.5 KB per user, so a million users fit in well under a gigabyte.
    """

    __slots__ = (
        "agent",
        "alpha",
        "at_s",
        "auth_event",
        "beta",
        "cursor",
        "first_name",
        "gender",
        "item",
        "last_name",
        "listener",
        "location",
        "played",
        "registration",
        "retained_until",
        "session_id",
        "song",
        "song_end",
        "state",
        "upgrading",
        "user_id",
    )

    def __init__(
        self,
        user_id: int,
        alpha: float,
        beta: float,
        location: people.Location,
        agent: str,
        names: tuple[str, str, str],
        registration: int,
    ) -> None:
        self.user_id = user_id
        self.alpha = alpha
        self.beta = beta
        self.location = location
        self.agent = agent
        self.first_name, self.last_name, self.gender = names
        self.registration = registration
        self.at_s = 0  # the user's clock, whole seconds (records carry ms: `ts`)
        self.session_id = 0
        self.item = 0
        self.state = 0
        self.cursor = AuthCursor()
        self.auth_event = False
        self.played = False
        self.song: Song | None = None
        self.song_end = 0
        self.listener: Listener | None = None
        self.upgrading = False  # accepted a premium trial: the next page is Submit Upgrade
        self.retained_until = 0  # accepted a retention offer: no leaving before (s)


class Simulator:
    def __init__(
        self,
        config: SimulationConfig,
        catalogue: SongCatalogue,
        params: SimulationParams,
        taste: TasteModel | None = None,
        responder: OfferResponder | None = None,
        retention_s: int = 30 * 86400,
    ) -> None:
        """`taste=None` is eventsim's behaviour: every song drawn by popularity alone.

        With a `responder`, logged-in users are asked as they move on which offers they
        accept (backbeat.simulator.responses); `retention_s` is how long an accepted
        retention offer keeps a user from leaving."""
        self.config = config
        self.taste = taste
        self.model = SessionModel(config)
        self.catalogue = catalogue
        self.params = params
        self.rng = Random(params.seed)
        self.clock = clock.SessionClock(
            config.session_gap,
            config.damping,
            config.weekend_damping,
            config.weekend_damping_offset_min,
            config.weekend_damping_scale_min,
        )
        self.start_s, self.ms_part = divmod(params.start_ms, 1000)
        self.end_s = None if params.end_ms is None else -(-params.end_ms // 1000)
        self._last_user_id = params.first_user_id
        self._last_session_id = 0
        self.users = 0
        self.sessions = 0
        self._names = people.first_names()
        self._surnames = people.last_names()
        self._locations = people.locations()
        self._agents = people.user_agents()
        self._tag: Any = params.tag if params.tag is not None else UNSET
        self.responder = responder
        self.retention_s = retention_s
        self._steering = Steering(self.model) if responder is not None else None

    # -- users -----------------------------------------------------------------------------

    def _new_user(
        self, registration_s: int, auth: str, level: str, first_s: int | None
    ) -> User | None:
        """A user whose first session starts at `first_s`, or (None) at a warmed-up time
        before the run's start drawn from the user's own session gap."""
        rng = self.rng
        self._last_user_id += 1  # eventsim pre-increments: the first id is the base + 1
        first_name, gender = self._names.pick(rng)
        user = User(
            self._last_user_id,
            clock.per_user_mean(self.config.alpha, rng),
            clock.per_user_mean(self.config.beta, rng),
            self._locations.pick(rng),
            self._agents.pick(rng),
            (first_name, self._surnames.pick(rng), gender),
            registration_s * 1000 + self.ms_part,
        )
        if self.taste is not None:
            user.listener = self.taste.new_listener(rng)
        self.users += 1
        first = self.model.first_state(auth, level, rng.random())
        if first is None:
            return None
        if first_s is None:
            first_s = self.clock.first_start(self.start_s, user.beta, rng)
        self._start_session(user, first, first_s)
        return user

    def _initial_users(self) -> list[User]:
        config, rng = self.config, self.rng
        auths = people.WeightedTable([a for a, _ in config.auths], [w for _, w in config.auths])
        levels = people.WeightedTable(
            [lv for lv, _ in config.levels], [w for _, w in config.levels]
        )
        growth_year = self.params.growth_rate * SECONDS_PER_YEAR
        users = []
        for _ in range(self.params.n_users):
            age = (
                min(-growth_year * math.log(1.0 - rng.random()), _MAX_REGISTRATION_AGE_S)
                if growth_year
                else 0.0
            )
            auth, level = auths.pick(rng), levels.pick(rng)
            user = self._new_user(int(self.start_s - age), auth, level, None)
            if user is not None:
                users.append(user)
        return users

    def _next_arrival(self, after: int) -> int | None:
        """When the next growth user arrives (the population compounds), or None."""
        rate = self.params.growth_rate
        if rate <= 0 or self.users == 0:
            return None
        mean_gap = SECONDS_PER_YEAR / (self.users * rate)
        return after + max(1, int(-mean_gap * math.log(1.0 - self.rng.random())))

    # -- sessions ----------------------------------------------------------------------------

    def _start_session(self, user: User, state: int, at_s: int) -> None:
        self._last_session_id += 1
        self.sessions += 1
        user.session_id = self._last_session_id
        user.item = 0
        user.at_s = at_s
        user.cursor = AuthCursor()
        user.played = False
        self._enter(user, state)

    def _enter(self, user: User, state: int) -> None:
        model = self.model
        user.state = state
        user.auth_event = user.cursor.visit(model.page[state], model.status[state])
        if model.page[state] == "NextSong":
            if user.listener is None:
                user.song = self.catalogue.pick(self.rng.random())
            else:
                previous = user.song if user.played else None
                user.song = self.taste.pick(user.listener, previous, self.rng)  # type: ignore[union-attr]
            user.song_end = user.at_s + int(user.song.duration)
            user.played = True

    def _advance(self, user: User) -> bool:
        """Move `user` to their next event; False when the user is gone for good."""
        model, rng = self.model, self.rng
        if self.responder is not None and model.shows_user[user.state]:
            self._respond(user)
        nxt = model.next_state(user.state, rng.random())
        if nxt is None:
            auth, level = model.auth[user.state], model.level[user.state]
            if auth == self.config.churned_state:
                return False
            first = model.first_state(auth, level, rng.random())
            if first is None:
                return False
            self._start_session(user, first, self.clock.next_start(user.at_s, user.beta, rng))
            return True
        if self._steering is not None:
            nxt = self._steered(user, nxt)
        if model.redirect[nxt]:
            user.at_s += 1
        elif model.page[nxt] == "NextSong" and user.played and user.at_s < user.song_end:
            user.at_s = user.song_end  # the current song plays to its end first
        else:
            user.at_s += clock.exponential_seconds(user.alpha, rng)
        user.item += 1
        self._enter(user, nxt)
        return True

    def _respond(self, user: User) -> None:
        at_ms = user.at_s * 1000 + self.ms_part
        for offer_type in self.responder.accepted(user.user_id, at_ms):  # type: ignore[union-attr]
            response = RESPONSES.get(offer_type)
            if response is Response.UPGRADE:
                user.upgrading = True
            elif response is Response.STAY:
                user.retained_until = user.at_s + self.retention_s

    def _steered(self, user: User, nxt: int) -> int:
        """The state after an accepted offer changed course: drawn first, so the run's random
        numbers stay those of a run without offers."""
        steering = self._steering
        assert steering is not None
        if user.upgrading:
            user.upgrading = False
            target = steering.upgrade_from(user.state)
            if target is not None:
                return target
        if user.at_s < user.retained_until:
            return steering.instead_of_leaving(nxt)
        return nxt

    # -- output ------------------------------------------------------------------------------

    def _records(self, user: User) -> Iterator[SimulatedEvent]:
        # The hot path: explicit keywords per record, not a shared dict unpacked into each,
        # which measured about 5% slower (bench/generate_throughput.py).
        model, s, where = self.model, user.state, user.location
        page, auth, level = model.page[s], model.auth[s], model.level[s]
        ts = user.at_s * 1000 + self.ms_part
        session_id, item = user.session_id, user.item
        # The same key rule as backbeat.events.keys.kafka_key, without building a record first.
        if model.shows_user[s]:
            key = str(user.user_id).encode()
            user_id: Any = user.user_id
            last_name: Any = user.last_name
            first_name: Any = user.first_name
            gender: Any = user.gender
            registration: Any = user.registration
            tag: Any = self._tag
        else:
            key = f"session-{session_id}".encode()
            user_id = last_name = first_name = gender = registration = tag = UNSET
        city, zip_code, state, agent = where.city, where.zip, where.state, user.agent
        lon, lat = where.lon, where.lat
        song = user.song if page == "NextSong" else None
        if song is not None:
            yield SimulatedEvent(
                "listen_events",
                key,
                ListenEvent(
                    artist=song.artist,
                    song=song.title,
                    duration=song.duration,
                    ts=ts,
                    session_id=session_id,
                    auth=auth,
                    level=level,
                    item_in_session=item,
                    city=city,
                    zip=zip_code,
                    state=state,
                    user_agent=agent,
                    lon=lon,
                    lat=lat,
                    user_id=user_id,
                    last_name=last_name,
                    first_name=first_name,
                    gender=gender,
                    registration=registration,
                    tag=tag,
                ),
            )
        if page == "Submit Upgrade" or page == "Submit Downgrade":
            yield SimulatedEvent(
                "status_change_events",
                key,
                StatusChangeEvent(
                    ts=ts,
                    session_id=session_id,
                    auth=auth,
                    level=level,
                    item_in_session=item,
                    city=city,
                    zip=zip_code,
                    state=state,
                    user_agent=agent,
                    lon=lon,
                    lat=lat,
                    user_id=user_id,
                    last_name=last_name,
                    first_name=first_name,
                    gender=gender,
                    registration=registration,
                    tag=tag,
                ),
            )
        if user.auth_event:
            if auth == LOGGED_IN:
                yield SimulatedEvent(
                    "auth_events",
                    key,
                    AuthEvent(
                        ts=ts,
                        session_id=session_id,
                        level=level,
                        item_in_session=item,
                        city=city,
                        zip=zip_code,
                        state=state,
                        user_agent=agent,
                        lon=lon,
                        lat=lat,
                        user_id=user_id,
                        last_name=last_name,
                        first_name=first_name,
                        gender=gender,
                        registration=registration,
                        tag=tag,
                        success=True,
                    ),
                )
            else:
                yield SimulatedEvent(
                    "auth_events",
                    key,
                    AuthEvent(
                        ts=ts,
                        session_id=session_id,
                        level=level,
                        item_in_session=item,
                        city=city,
                        zip=zip_code,
                        state=state,
                        user_agent=agent,
                        lon=lon,
                        lat=lat,
                        success=False,
                    ),
                )
        yield SimulatedEvent(
            "page_view_events",
            key,
            PageViewEvent(
                ts=ts,
                session_id=session_id,
                page=page,
                auth=auth,
                method=model.method[s],
                status=model.status[s],
                level=level,
                item_in_session=item,
                city=city,
                zip=zip_code,
                state=state,
                user_agent=agent,
                lon=lon,
                lat=lat,
                user_id=user_id,
                last_name=last_name,
                first_name=first_name,
                gender=gender,
                registration=registration,
                tag=tag,
                artist=song.artist if song else UNSET,
                song=song.title if song else UNSET,
                duration=song.duration if song else UNSET,
            ),
        )

    def events(self) -> Iterator[SimulatedEvent]:
        """Every record of the run, in time order (ties in a fixed order)."""
        queue: list[tuple[int, int, User | None]] = [
            (u.at_s, u.user_id, u) for u in self._initial_users()
        ]
        arrival = self._next_arrival(self.start_s)
        if arrival is not None:
            queue.append((arrival, 0, None))
        heapq.heapify(queue)
        start_s, end_s = self.start_s, self.end_s
        while queue:
            ts, _, user = queue[0]
            if end_s is not None and ts >= end_s:
                return
            if user is None:  # a growth user arrives, as a Guest, and starts a session
                newcomer = self._new_user(
                    ts, self.config.new_user_auth, self.config.new_user_level, ts
                )
                arrival = self._next_arrival(ts)
                if arrival is None:
                    heapq.heappop(queue)
                else:
                    heapq.heapreplace(queue, (arrival, 0, None))
                if newcomer is not None:
                    heapq.heappush(queue, (newcomer.at_s, newcomer.user_id, newcomer))
                continue
            if ts >= start_s:
                yield from self._records(user)
            if self._advance(user):
                heapq.heapreplace(queue, (user.at_s, user.user_id, user))
            else:
                heapq.heappop(queue)
