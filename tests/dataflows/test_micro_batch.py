"""The micro-batch rule, called directly with literal UTC times (no Bytewax runtime)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bytewax.operators import StatefulLogic

from dataflows.micro_batch import MicroBatchLogic

T0 = datetime(2024, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_a_full_batch_is_emitted_at_once() -> None:
    logic = MicroBatchLogic(3, timedelta(seconds=2), now=Clock())
    assert logic.on_item("a") == ([], StatefulLogic.RETAIN)
    assert logic.on_item("b") == ([], StatefulLogic.RETAIN)
    assert logic.on_item("c") == ([["a", "b", "c"]], StatefulLogic.RETAIN)
    assert logic.state.rows == [] and logic.state.emitted == "c"


def test_the_deadline_starts_with_the_first_row_and_does_not_move() -> None:
    clock = Clock()
    logic = MicroBatchLogic(1000, timedelta(seconds=2), now=clock)
    logic.on_item(1)
    for second in (0.5, 1.0, 1.5, 1.9):  # a steady stream does not push the deadline back
        clock.now = T0 + timedelta(seconds=second)
        logic.on_item(2)
    assert logic.notify_at() == T0 + timedelta(seconds=2)
    assert logic.on_notify() == ([[1, 2, 2, 2, 2]], StatefulLogic.RETAIN)
    assert logic.notify_at() is None


def test_end_of_input_flushes_the_open_batch() -> None:
    logic = MicroBatchLogic(10, timedelta(seconds=1), now=Clock())
    logic.on_item("x")
    assert logic.on_eof() == ([["x"]], StatefulLogic.RETAIN)
    assert logic.on_eof() == ([], StatefulLogic.RETAIN)  # nothing open: nothing emitted


def test_snapshot_is_independent_of_later_rows() -> None:
    logic = MicroBatchLogic(10, timedelta(seconds=1), now=Clock())
    logic.on_item("x")
    snapshot = logic.snapshot()
    logic.on_item("y")
    assert snapshot.rows == ["x"] and snapshot.due_at == T0 + timedelta(seconds=1)
    resumed = MicroBatchLogic(10, timedelta(seconds=1), snapshot, now=Clock())
    assert resumed.on_eof() == ([["x"]], StatefulLogic.RETAIN)


def test_the_state_remembers_the_last_row_emitted() -> None:
    logic = MicroBatchLogic(2, timedelta(seconds=1), now=Clock())
    for row in ("a", "b", "c"):
        logic.on_item(row)
    snapshot = logic.snapshot()
    assert (snapshot.rows, snapshot.emitted) == (["c"], "b")


@pytest.mark.parametrize(("rows", "wait"), [(0, timedelta(seconds=1)), (5, timedelta(0))])
def test_bad_limits_are_refused(rows: int, wait: timedelta) -> None:
    with pytest.raises(ValueError, match="must be"):
        MicroBatchLogic(rows, wait)
