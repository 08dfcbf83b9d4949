"""The dashboard draws its page once per warehouse build and serves it from memory (#21)."""

from __future__ import annotations

from datetime import UTC, datetime

from backbeat.dashboard.app import PageCache
from backbeat.warehouse import QueryError

BUILD_1 = datetime(2024, 1, 1, 12, tzinfo=UTC)
BUILD_2 = datetime(2024, 1, 1, 12, 5, tzinfo=UTC)


class Warehouse:
    def __init__(self) -> None:
        self.last: datetime | None = None
        self.drawn: list[datetime | None] = []
        self.broken = False

    def last_build(self) -> datetime | None:
        if self.broken:
            raise QueryError("the build log does not answer")
        return self.last

    def draw(self, built: datetime | None) -> str:
        self.drawn.append(built)
        return f"page of {built}"


def test_the_page_is_drawn_once_per_build_and_served_from_memory() -> None:
    warehouse = Warehouse()
    pages = PageCache(warehouse.draw, warehouse.last_build, check_every_s=60)
    assert [pages.page() for _ in range(3)] == ["page of None"] * 3  # no build yet
    warehouse.last = BUILD_1
    assert pages.refresh() is True
    assert [pages.page() for _ in range(5)] == [f"page of {BUILD_1}"] * 5
    assert pages.refresh() is False  # same build: nothing drawn
    warehouse.last = BUILD_2
    assert pages.refresh() is True and pages.page() == f"page of {BUILD_2}"
    assert warehouse.drawn == [None, BUILD_1, BUILD_2]


def test_an_unreadable_build_log_keeps_the_page_drawn() -> None:
    warehouse = Warehouse()
    warehouse.last = BUILD_1
    pages = PageCache(warehouse.draw, warehouse.last_build, check_every_s=60)
    assert pages.page() == f"page of {BUILD_1}"
    warehouse.broken = True
    assert pages.refresh() is False and pages.page() == f"page of {BUILD_1}"


def test_the_watcher_redraws_when_a_build_finishes() -> None:
    warehouse = Warehouse()
    pages = PageCache(warehouse.draw, warehouse.last_build, check_every_s=0.05)
    pages.start()
    try:
        warehouse.last = BUILD_1
        from tests.waits import eventually

        eventually(lambda: pages.page() == f"page of {BUILD_1}", "the watcher redrawing")
    finally:
        pages.stop()
