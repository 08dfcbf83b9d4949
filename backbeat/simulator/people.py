"""Who the simulated users are and where they listen from, from data packages on PyPI.

- First names with gender and last names: faker's en_US census-weighted tables.
- Locations: the `zipcodes` package (active standard US zip codes with city, state and
  coordinates). eventsim weights zips by 2010 population from a Census file no package ships;
  Backbeat draws standard zip codes uniformly, which still gives big cities more weight
  (they have more zip codes).
- User agents: a short list of common browsers (`data/user_agents.tsv`). As in eventsim's
  list (a CSV artifact), strings containing a comma carry literal double quotes; staging
  removes them.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pathlib import Path
from random import Random
from typing import Generic, TypeVar

T = TypeVar("T")

# The 50 states and DC (zipcodes also lists territories and military mail codes).
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
)
_STATES = frozenset(_STATE_CODES.split())
_USER_AGENTS_FILE = Path(__file__).parent / "data" / "user_agents.tsv"


@dataclass(frozen=True, slots=True)
class Location:
    city: str
    zip: str
    state: str
    lon: float
    lat: float


class WeightedTable(Generic[T]):
    """Items drawn by weight with one uniform number."""

    def __init__(self, items: list[T], weights: list[float]) -> None:
        self.items = items
        self._weights = weights
        self._cumulative = list(accumulate(weights))
        self._total = self._cumulative[-1]

    def pick(self, rng: Random) -> T:
        return self.items[bisect_right(self._cumulative, rng.random() * self._total)]

    def pick_other(self, avoid: T, rng: Random) -> T:
        """Drawn by weight among the items other than `avoid` (`avoid` if it is the only
        one). Linear in the items: for small tables, or after rejection failed."""
        others = [
            (item, weight)
            for item, weight in zip(self.items, self._weights, strict=True)
            if item is not avoid
        ]
        if not others:
            return avoid
        return WeightedTable([i for i, _ in others], [w for _, w in others]).pick(rng)


@cache
def first_names() -> WeightedTable[tuple[str, str]]:
    """(first name, gender) weighted by frequency."""
    from faker.providers.person.en_US import Provider

    items: list[tuple[str, str]] = []
    weights: list[float] = []
    for gender, table in (("F", Provider.first_names_female), ("M", Provider.first_names_male)):
        for name, weight in table.items():
            items.append((name, gender))
            weights.append(float(weight))
    return WeightedTable(items, weights)


@cache
def last_names() -> WeightedTable[str]:
    from faker.providers.person.en_US import Provider

    return WeightedTable(
        list(Provider.last_names), [float(w) for w in Provider.last_names.values()]
    )


@cache
def locations() -> WeightedTable[Location]:
    import zipcodes

    items = [
        Location(z["city"], z["zip_code"], z["state"], float(z["long"]), float(z["lat"]))
        for z in zipcodes.list_all()  # type: ignore[no-untyped-call]
        if z["active"] and z["zip_code_type"] == "STANDARD" and z["state"] in _STATES and z["lat"]
    ]
    return WeightedTable(items, [1.0] * len(items))


def _as_eventsim_wrote_it(agent: str) -> str:
    return f'"{agent}"' if "," in agent else agent


@cache
def user_agents() -> WeightedTable[str]:
    rows = [
        line.split("\t", 1)
        for line in _USER_AGENTS_FILE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return WeightedTable(
        [_as_eventsim_wrote_it(agent) for _, agent in rows], [float(weight) for weight, _ in rows]
    )
