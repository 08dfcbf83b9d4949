"""The Data Vault declared as data: a hub, link, transactional link or satellite is a YAML
file of what it holds and where it comes from, and one SQL template per table type
(`templates/<kind>.sql`) writes its SELECT, as AutomateDV and datavault4dbt do with dbt.

    # warehouse_sql/vault/hub_user.yml
    name: vault.hub_user
    grain: one row per user id, plus the ghost user
    key: [user_hk]                  # the hub's hash key
    columns: {...}                  # as in any model header
    hub:
      business_keys: [user_id]
      ghost: true                   # holds the ghost record (key of 32 zeros)
      sources:
        - {model: staging.page_views, at: viewed_at, where: user_id IS NOT NULL}

Every kind is incremental and insert-only (it anti-joins its own table). Hand-written SQL
models (marts, the PIT table) and the staging models use the same SQL macros
(macros.py), expanded by `expand_macros` before the SQL is parsed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backbeat.warehouse.models.macros import MACROS

TEMPLATES: Path = Path(__file__).parent / "templates"
#: Columns every vault table ends with.
AUDIT_COLUMNS = ("load_ts", "record_source")


class _Declaration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Declaration):
    """Where rows come from: a staging model, optionally filtered."""

    model: Annotated[str, Field(pattern=r"^staging\.[a-z_][a-z0-9_]*$")]
    #: The event time of a row (hubs: first seen; satellites: effective from).
    at: str | None = None
    where: str | None = None
    #: Transactional links: the staging column holding the event's hash key.
    key: str | None = None


class Hub(_Declaration):
    business_keys: list[str] = Field(min_length=1)
    #: Further columns that the key fixes, taken once per key (the smallest seen).
    first_of: list[str] = []
    #: Holds the ghost record (the key of 32 zeros), so links to "none" resolve.
    ghost: bool = False
    sources: list[Source] = Field(min_length=1)

    def columns(self, key: str) -> list[str]:
        return [key, *self.business_keys, *self.first_of, *AUDIT_COLUMNS]


class Link(_Declaration):
    #: The hubs' hash keys (in the staging model, and in the link); the link's own key is
    #: the hash of them all, in this order.
    hub_keys: list[str] = Field(min_length=2)
    source: Source

    def columns(self, key: str) -> list[str]:
        return [key, *self.hub_keys, *AUDIT_COLUMNS]


class EventDate(_Declaration):
    """A DATE column of the event time, for partitioning; `prune`: only stored rows of the
    incoming events' dates are compared with them (the event's key must fix its date)."""

    column: str
    of: str
    prune: bool = False


class TLink(_Declaration):
    source: Source
    #: The hub keys and facts of the event, as named in the staging model.
    payload: list[str] = Field(min_length=1)
    event_date: EventDate | None = None

    def columns(self, key: str) -> list[str]:
        dated = [self.event_date.column] if self.event_date else []
        return [key, *self.payload, *dated, *AUDIT_COLUMNS]


class Satellite(_Declaration):
    payload: list[str] = Field(min_length=1)
    #: How each part of the payload enters the hashdiff (SQL, as the key rules write it).
    hashdiff: list[str] = Field(min_length=1)
    sources: list[Source] = Field(min_length=1)
    #: Effectivity at the instant: of the events sharing a parent and an event time, the one
    #: last by this column decides the payload (e.g. a plan change and the page after it).
    one_per_instant_by: str | None = None

    def columns(self, key: str) -> list[str]:
        return [key, "hashdiff", "effective_from", *self.payload, *AUDIT_COLUMNS]


Kind = Literal["hub", "link", "t_link", "sat"]
KINDS: dict[str, type[Hub | Link | TLink | Satellite]] = {
    "hub": Hub,
    "link": Link,
    "t_link": TLink,
    "sat": Satellite,
}


class DeclarationError(ValueError):
    """A declaration that cannot be rendered; the message says what is wrong."""


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 (SQL, never HTML)
    )
    environment.globals.update(MACROS)
    return environment


def expand_macros(sql: str) -> str:
    """A hand-written model's SQL with its `{{ macro(...) }}` calls expanded."""
    try:
        return _environment().from_string(sql).render()
    except jinja2.TemplateError as exc:
        raise DeclarationError(f"a macro call failed: {exc}") from None


def declared_kind(header: dict[str, Any]) -> str:
    """Which table type a declared model's header declares (exactly one of KINDS)."""
    kinds = [kind for kind in KINDS if kind in header]
    if len(kinds) != 1:
        raise DeclarationError(
            f"declare exactly one of {', '.join(KINDS)}; found {kinds or 'none'}"
        )
    return kinds[0]


def render_declared(
    kind: str, declaration: Any, this: str, key: tuple[str, ...], types: dict[str, str]
) -> str:
    """The SELECT (BigQuery dialect) of the `kind` table `this` declares.

    `key` is the header's key: a hub's, link's or transactional link's hash key, or a
    satellite's (parent key, effective_from); `types` the header's column types. The
    declaration must produce exactly the header's columns.
    """
    try:
        parsed = KINDS[kind].model_validate(declaration)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or kind}: {e['msg']}" for e in exc.errors()
        )
        raise DeclarationError(f"`{kind}`: {problems}") from None
    expected_key = 2 if isinstance(parsed, Satellite) else 1
    if len(key) != expected_key or (expected_key == 2 and key[1] != "effective_from"):
        wanted = "[<parent>_hk, effective_from]" if expected_key == 2 else "[<name>_hk]"
        raise DeclarationError(f"a {kind}'s key is {wanted}, got {list(key)}")
    produced = parsed.columns(key[0])
    if sorted(produced) != sorted(types):
        raise DeclarationError(f"the {kind} produces {produced}, the header declares {list(types)}")
    if isinstance(parsed, TLink) and parsed.source.key is None:
        raise DeclarationError("a t_link's source needs `key`: the event's hash key column")
    sources = parsed.sources if isinstance(parsed, Hub | Satellite) else []
    if any(source.at is None for source in sources):
        raise DeclarationError(f"every source of a {kind} needs `at`: the event time")
    fields = parsed.model_dump()
    if isinstance(parsed, Satellite):
        fields["parent"] = key[0]
    else:
        fields["key"] = key[0]
    return _environment().get_template(f"{kind}.sql").render(**fields, this=this, types=types)
