"""One warehouse build: staging -> vault -> marts, incremental by a load watermark.

A build reads the raw rows ingested in a window `(since, until]`: `until` is the newest
`_ingested_at` in raw when the build starts (so every model of a build sees the same raw),
`since` is the previous build's `until` minus an overlap. The overlap re-reads rows whose
micro-batch was handed to the warehouse just before the previous build looked but became
visible just after; re-reading them adds nothing, because every vault model anti-joins its
own table (insert-only, idempotent). So re-running a build adds zero rows, and late events
(old `ts`, new `_ingested_at`) are picked up by the next build. A window spans at most
`max_window` of load time from the first row after the last watermark, so a backlog is
built a bounded piece at a time, the marts moving forward with each build.

Models with `refresh: periodic` (the marts of exact distinct counts over a day or a month)
are recomputed only when a build's `until` enters a new period of `periodic_every`: then for
the dates touched by every raw row loaded since the period before began (a superset of what
the builds since their last refresh read), and by every build when `periodic_every` is None.

The backends differ only in how a model's rows are stored (`ModelStore`): Parquet files on
DuckDB, tables on BigQuery.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sqlglot import exp

from backbeat.kafka.topics import LOADED_TOPICS
from backbeat.warehouse.models.render import parameters, render, typed
from backbeat.warehouse.models.spec import LAYERS, Model, build_order

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RAW_UNION = " UNION ALL ".join(
    f"SELECT _ingested_at, event_date, ts FROM raw.{topic}" for topic in LOADED_TOPICS
)
#: The newest row in raw: where a build's window ends. Only rows at or after the last
#: watermark can be newer, and bounding by it lets DuckDB skip every older Parquet file by its
#: statistics instead of reading all of raw's `_ingested_at` each build.
RAW_HIGH_WATER_SQL = f"SELECT MAX(_ingested_at) FROM ({_RAW_UNION}) WHERE _ingested_at >= @after"
#: The first row loaded after the last watermark: where a capped window's span starts (an idle
#: gap in loading is not a window of its own).
RAW_NEXT_SQL = f"SELECT MIN(_ingested_at) FROM ({_RAW_UNION}) WHERE _ingested_at > @after"
#: The event dates and times of the raw rows in a window: which partitions (and hours) a
#: build recomputes.
RAW_DATES_SQL = (
    f"SELECT MIN(event_date), MAX(event_date), MIN(ts), MAX(ts) FROM ({_RAW_UNION}) "
    "WHERE _ingested_at > @since AND _ingested_at <= @until "
    "AND event_date BETWEEN @first_date AND @last_date"
)
ALL_DATES = (date(1, 1, 1), date(9999, 12, 31))


def _utc(moment: datetime) -> datetime:
    """A timestamp read back from raw (naive UTC on DuckDB, aware on BigQuery), aware."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Touched:
    """What some raw rows touch: their event dates and event times (None: no rows)."""

    dates: tuple[date, date] | None
    times: tuple[datetime, datetime] | None


@dataclass(frozen=True)
class BuildWindow:
    """The raw rows a build reads: ingested in (since, until], event date in [first, last]."""

    build_id: str
    since: datetime
    until: datetime
    load_ts: datetime
    first_date: date = ALL_DATES[0]
    last_date: date = ALL_DATES[1]
    #: Event dates of the raw rows in the window (None: the window is empty).
    touched: tuple[date, date] | None = None
    #: Their first and last event times.
    touched_at: tuple[datetime, datetime] | None = None
    #: What the periodic models recompute: what every row loaded since their last refresh
    #: touched (the window's own rows when they refresh each build); None: they wait.
    periodic: Touched | None = None

    @property
    def rows_touched(self) -> Touched:
        """What the window's own raw rows touch (what every model but the periodic reads)."""
        return Touched(self.touched, self.touched_at)

    @property
    def is_backfill(self) -> bool:
        return (self.first_date, self.last_date) != ALL_DATES

    def describe(self) -> str:
        """One line for people: what kind of build, and which raw rows it read."""
        kind = f"backfill of {self.first_date}..{self.last_date}" if self.is_backfill else "build"
        return (
            f"{kind} {self.build_id}: raw ingested in ({self.since:%Y-%m-%d %H:%M:%S}, "
            f"{self.until:%Y-%m-%d %H:%M:%S}] UTC"
        )


@dataclass(frozen=True)
class ModelRun:
    model: str
    materialized: str
    rows_added: int
    seconds: float


@dataclass
class BuildReport:
    window: BuildWindow
    runs: list[ModelRun] = field(default_factory=list)
    #: When the build's rows became readable in the marts (set as the build is recorded):
    #: `marts.pipeline_freshness` measures event -> mart latency up to it.
    finished_at: datetime | None = None

    def rows_added(self, layer: str | None = None) -> int:
        return sum(r.rows_added for r in self.runs if layer is None or r.model.startswith(layer))

    def by_layer(self) -> list[tuple[str, int, int]]:
        """(layer, models run, rows written) for the stored layers (a deferred periodic model
        did not run)."""
        return [
            (
                layer,
                sum(
                    r.model.startswith(f"{layer}.") and r.materialized != "deferred"
                    for r in self.runs
                ),
                self.rows_added(layer),
            )
            for layer in LAYERS
            if layer != "staging"
        ]


class ModelStore(Protocol):
    """A backend's side of a build."""

    def lock(self) -> AbstractContextManager[None]:
        """Held for the whole build: two builds never run at once on one warehouse."""
        ...

    def fetch_one(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
        """The first row of a query in BigQuery's dialect (`raw.<topic>` names, @params)."""
        ...

    def last_until(self) -> datetime | None:
        """The `until` of the last finished build (None before the first)."""
        ...

    def last_build(self) -> tuple[datetime, datetime] | None:
        """The `until` and `load_ts` of the last finished build, read together (None before
        the first): what a scan may expect of raw, and which rows of the marts are its."""
        ...

    def append(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int:
        """Add the rows `select` returns to the model's table; the number added."""
        ...

    def replace(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int:
        """Replace the model's table with what `select` returns; the number of rows."""
        ...

    def replace_partitions(
        self, model: Model, select: exp.Expression, params: dict[str, Any]
    ) -> int:
        """Replace each partition `select` returns rows for; the number of rows."""
        ...

    def record(self, report: BuildReport) -> None:
        """Mark the build finished (its `until` becomes the next build's watermark)."""
        ...

    def merge(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int:
        """Put the rows `select` returns in place of the stored rows with the same key (in
        the partitions the new rows fall in), adding those with a new key; the number."""
        ...

    def stage(self, model: Model, select: exp.Expression, params: dict[str, Any]) -> int | None:
        """Keep a staging model's rows as `staging.<name>` until the build ends; the number
        of rows, or None when this backend inlines staging models instead."""
        ...


class WarehouseBuild:
    """Plans and runs builds of `models` against one store."""

    def __init__(
        self,
        store: ModelStore,
        models: dict[str, Model],
        overlap: timedelta,
        royalty_pool: float,
        conversion_days: int = 7,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_window: timedelta | None = None,
        periodic_every: timedelta | None = None,
    ) -> None:
        self.store = store
        self.models = models
        self.overlap = overlap
        self.max_window = max_window
        self.periodic_every = periodic_every or None
        self.royalty_pool = royalty_pool
        self.conversion_days = conversion_days
        self._clock = clock
        #: Staging models the store keeps as tables in the current build (by build id).
        self._staged: dict[str, frozenset[str]] = {}

    def plan(self, refresh_all: bool = False) -> BuildWindow:
        """The next incremental build's window. `refresh_all`: the periodic models too, even
        within their period (a build someone asked for, the demo's last)."""
        last = self.store.last_until()
        until = self._capped(last, self._raw_high_water(last))
        since = EPOCH if last is None else min(last - self.overlap, until)
        return self._window(
            since, until, *ALL_DATES, self._periodic_since(last, since, until, refresh_all)
        )

    def _periodic_since(
        self, last: datetime | None, since: datetime, until: datetime, refresh_all: bool
    ) -> datetime | None:
        """Where the periodic models' rows start, None when they wait for the next period.

        They last refreshed at the first recorded build whose `until` fell in the period
        `last` falls in (no later build of it refreshed unless asked, and then that one), so
        every row loaded since is after that period's start, less the overlap.
        """
        if last is None or self.periodic_every is None:
            return since
        period = (last - EPOCH) // self.periodic_every
        if not refresh_all and (until - EPOCH) // self.periodic_every == period:
            return None
        return min(since, EPOCH + period * self.periodic_every - self.overlap)

    def _capped(self, last: datetime | None, until: datetime) -> datetime:
        """`until`, or less when more than `max_window` of load time waits to be built."""
        if self.max_window is None or (last is not None and until <= last + self.max_window):
            return until
        (first,) = self.store.fetch_one(RAW_NEXT_SQL, {"after": last or EPOCH})
        if not isinstance(first, datetime):
            return until
        return min(until, _utc(first) + self.max_window)

    def _window(
        self,
        since: datetime,
        until: datetime,
        first: date,
        last: date,
        periodic_since: datetime | None,
    ) -> BuildWindow:
        touched = self._touched(since, until, first, last)
        periodic = None
        if periodic_since is not None:
            periodic = (
                touched
                if periodic_since == since
                else self._touched(periodic_since, until, first, last)
            )
        return BuildWindow(
            uuid.uuid4().hex[:12],
            since,
            until,
            self._clock(),
            first,
            last,
            touched.dates,
            touched.times,
            periodic,
        )

    def _touched(self, since: datetime, until: datetime, first: date, last: date) -> Touched:
        lo, hi, first_ts, last_ts = self.store.fetch_one(
            RAW_DATES_SQL, {"since": since, "until": until, "first_date": first, "last_date": last}
        )
        return Touched(
            None if lo is None else (lo, hi),
            None if first_ts is None else (_utc(first_ts), _utc(last_ts)),
        )

    def plan_backfill(self, first_date: date, last_date: date) -> BuildWindow:
        """Every raw row of events dated `first_date`..`last_date`, whenever it was loaded."""
        if first_date > last_date:
            raise ValueError(
                f"backfill from {first_date} to {last_date}: the start is after the end"
            )
        until = self._raw_high_water(self.store.last_until())
        return self._window(EPOCH, until, first_date, last_date, EPOCH)

    def _raw_high_water(self, last: datetime | None) -> datetime:
        """The newest `_ingested_at` in raw; `last` (the last watermark) when none is newer."""
        (newest,) = self.store.fetch_one(RAW_HIGH_WATER_SQL, {"after": last or EPOCH})
        if not isinstance(newest, datetime):
            return last or EPOCH
        return _utc(newest)

    def ordered(self, layer: str | None = None) -> list[Model]:
        return [m for m in build_order(self.models) if layer is None or m.layer == layer]

    def run_model(self, model: Model, window: BuildWindow) -> ModelRun:
        staged = self._staged.get(window.build_id, frozenset())
        if model.layer == "staging":
            return self._stage(model, window, staged)
        touched = window.rows_touched
        if model.refresh == "periodic":
            if window.periodic is None:
                return ModelRun(model.full_name, "deferred", 0, 0.0)
            touched = window.periodic
        select = typed(model, render(model, self.models, staged))
        params = self._parameters(select, window, touched)
        began = time.perf_counter()
        if model.materialized == "incremental":
            rows = self.store.append(model, select, params)
        elif model.materialized == "partitions":
            has_rows = touched.dates is not None
            rows = self.store.replace_partitions(model, select, params) if has_rows else 0
        elif model.materialized == "merge":
            rows = self.store.merge(model, select, params) if touched.dates is not None else 0
        else:
            rows = self.store.replace(model, select, params)
        return ModelRun(model.full_name, model.materialized, rows, time.perf_counter() - began)

    def _stage(self, model: Model, window: BuildWindow, staged: frozenset[str]) -> ModelRun:
        """Staging is computed once per build where the store keeps it (every vault model
        reads the same typed, hashed rows), else inlined into each model that reads it."""
        select = render(model, self.models, staged)
        began = time.perf_counter()
        rows = self.store.stage(
            model, select, self._parameters(select, window, window.rows_touched)
        )
        seconds = time.perf_counter() - began
        if rows is None:
            return ModelRun(model.full_name, "inlined", 0, seconds)
        self._staged[window.build_id] = staged | {model.name}
        return ModelRun(model.full_name, "staged", rows, seconds)

    def _parameters(
        self, select: exp.Expression, window: BuildWindow, touched: Touched
    ) -> dict[str, Any]:
        touched_first, touched_last = touched.dates or (ALL_DATES[0], ALL_DATES[0])
        touched_since, touched_until = touched.times or (EPOCH, EPOCH)
        values = {
            "touched_first": touched_first,
            "touched_last": touched_last,
            "touched_since": touched_since,
            "touched_until": touched_until,
            "since": window.since,
            "until": window.until,
            "load_ts": window.load_ts,
            "first_date": window.first_date,
            "last_date": window.last_date,
            "royalty_pool": self.royalty_pool,
            "conversion_days": self.conversion_days,
        }
        return {name: values[name] for name in parameters(select)}

    def run(
        self,
        progress: Callable[[ModelRun], None] | None = None,
        backfill: tuple[date, date] | None = None,
        refresh_all: bool = False,
    ) -> BuildReport:
        """A whole build: every model in dependency order, then the watermark. Always every
        layer: a recorded build is one whose marts have its rows (`marts.song_plays` reads
        the vault's rows newer than the last recorded build). `refresh_all`: the periodic
        models too, even within their period.

        A backfill re-reads every raw row of its dates (idempotent: the vault keeps what it
        has) and leaves the watermark alone, so incremental builds carry on where they were.
        """
        with self.store.lock():
            window = self.plan_backfill(*backfill) if backfill else self.plan(refresh_all)
            report = BuildReport(window)
            for run in self.runs(report.window, LAYERS):
                report.runs.append(run)
                if progress:
                    progress(run)
            self.finish(report)
        return report

    def finish(self, report: BuildReport) -> None:
        """Record a finished build's watermark; a backfill leaves the watermark alone."""
        self._staged.pop(report.window.build_id, None)
        report.finished_at = self._clock()
        if not report.window.is_backfill:
            self.store.record(report)

    def runs(self, window: BuildWindow, layers: tuple[str, ...]) -> Iterator[ModelRun]:
        for model in self.ordered():
            if model.layer in layers:
                yield self.run_model(model, window)
