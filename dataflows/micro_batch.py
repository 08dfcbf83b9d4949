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


class MicroBatchLogic(StatefulLogic[V, list[V], MicroBatchState[V]]):
    """One key's open batch. Rows are immutable, so a snapshot copies only the list."""

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

    def on_item(self, value: V) -> tuple[Iterable[list[V]], bool]:
        if not self.state.rows:
            self.state.due_at = self._now() + self.max_wait
        self.state.rows.append(value)
        if len(self.state.rows) >= self.max_rows:
            return [self.state.rows], StatefulLogic.DISCARD
        return [], StatefulLogic.RETAIN

    def on_notify(self) -> tuple[Iterable[list[V]], bool]:
        return [self.state.rows], StatefulLogic.DISCARD

    def on_eof(self) -> tuple[Iterable[list[V]], bool]:
        return [self.state.rows], StatefulLogic.DISCARD

    def notify_at(self) -> datetime | None:
        return self.state.due_at

    def snapshot(self) -> MicroBatchState[V]:
        return MicroBatchState(list(self.state.rows), self.state.due_at)


@operator
def micro_batch(
    step_id: str, up: KeyedStream[V], max_rows: int, max_wait: timedelta
) -> KeyedStream[list[V]]:
    """Group each key's rows into batches of at most `max_rows`, none older than `max_wait`."""

    def build(resume: MicroBatchState[V] | None) -> MicroBatchLogic[V]:
        return MicroBatchLogic(max_rows, max_wait, resume)

    return op.stateful("batch", up, build)
