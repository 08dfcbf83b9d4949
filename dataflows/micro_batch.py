"""Micro-batches: a key's rows, written when there are `max_rows` of them or `max_wait`
after the first one arrived, whichever comes first.

Bytewax's `collect` restarts its timeout on every item (an inactivity timeout), so under a
steady stream a batch only closes when it is full; here the clock starts with the first row
of a batch, which bounds how long any row waits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

import bytewax.operators as op
from bytewax.dataflow import operator
from bytewax.operators import KeyedStream, StatefulLogic

V = TypeVar("V")


@dataclass
class MicroBatchState(Generic[V]):
    rows: list[V] = field(default_factory=list)
    due_at: datetime | None = None
    #: The last row of the last batch passed on: with `rows`, how far this key has got
    #: (a resumed loader checks that the warehouse holds that much).
    emitted: V | None = None


class MicroBatchLogic(StatefulLogic[V, list[V], MicroBatchState[V]]):
    """One key's open batch. Rows are immutable, so a snapshot copies only the list.

    The state outlives its batches (it keeps the last row emitted), so a restart can tell
    how far each key had got.
    """

    def __init__(
        self,
        max_rows: int,
        max_wait: timedelta,
        state: MicroBatchState[V] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows!r}")
        if max_wait <= timedelta(0):
            raise ValueError(f"max_wait must be positive, got {max_wait!r}")
        self.max_rows = max_rows
        self.max_wait = max_wait
        self.state = state or MicroBatchState()
        self._now = now

    def _emit(self) -> tuple[Iterable[list[V]], bool]:
        batch = self.state.rows
        if not batch:
            return [], StatefulLogic.RETAIN
        self.state = MicroBatchState(emitted=batch[-1])
        return [batch], StatefulLogic.RETAIN

    def on_item(self, value: V) -> tuple[Iterable[list[V]], bool]:
        if not self.state.rows:
            self.state.due_at = self._now() + self.max_wait
        self.state.rows.append(value)
        if len(self.state.rows) >= self.max_rows:
            return self._emit()
        return [], StatefulLogic.RETAIN

    def on_notify(self) -> tuple[Iterable[list[V]], bool]:
        return self._emit()

    def on_eof(self) -> tuple[Iterable[list[V]], bool]:
        return self._emit()

    def notify_at(self) -> datetime | None:
        return self.state.due_at

    def snapshot(self) -> MicroBatchState[V]:
        return MicroBatchState(list(self.state.rows), self.state.due_at, self.state.emitted)


@operator
def micro_batch(
    step_id: str,
    up: KeyedStream[V],
    max_rows: int,
    max_wait: timedelta,
    on_resume: Callable[[MicroBatchState[V]], None] | None = None,
) -> KeyedStream[list[V]]:
    """Group each key's rows into batches of at most `max_rows`, none older than `max_wait`.

    `on_resume` sees each key's state when a restart restores it, before any new row.
    """

    def build(resume: MicroBatchState[V] | None) -> MicroBatchLogic[V]:
        if resume is not None and on_resume is not None:
            on_resume(resume)
        return MicroBatchLogic(max_rows, max_wait, resume)

    return op.stateful("batch", up, build)
