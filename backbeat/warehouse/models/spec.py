"""Warehouse models: one SQL file each under `warehouse_sql/<layer>/`, with a YAML header.

    /* ---
    name: vault.hub_user
    grain: one row per user id
    key: [user_hk]
    materialized: incremental
    columns:
      user_hk: {type: STRING, doc: hash key of user_id}
    --- */
    SELECT ...

The header is the model's contract: its columns (types and docs) create the table on BigQuery,
type the empty table on DuckDB and are the documented columns Looker Studio reads. Pure
logic: reading files and checking headers, nothing runs here.

Materializations:
- `ephemeral` (staging): never stored. A backend either keeps its rows as a table for the
  length of one build (DuckDB: computed once, read by every model) or inlines it as a CTE
  wherever `staging.<name>` is read (BigQuery).
- `incremental`: the SELECT returns only rows to add (it anti-joins its own table); the rows
  are appended, never updated: insert-only, as a Data Vault must be.
- `table`: the SELECT returns the whole table, which replaces the previous one; the header
  says why it cannot be incremental (`rebuild_reason`).
- `partitions`: the SELECT returns whole partitions (`partition_by`, a date) for the event
  dates the build touched (`@touched_first`..`@touched_last`, widened as the model needs);
  each partition it returns replaces the stored one. For aggregates over days or months
  that late events change: only the affected ones are recomputed.
- `merge`: the SELECT returns only the rows the window changed (`key`); each replaces the
  stored row with its key, in the partitions (`partition_by`) the rows fall in. For
  aggregates whose keys (an hour, a session) a build touches a few of.

`refresh: periodic` (a `partitions` or `merge` model that reads no staging model): recomputed
not by every build but once per `BACKBEAT_WAREHOUSE_BUILD_PERIODIC_REFRESH_MINUTES`, for what
every build since its last refresh touched. For the marts of exact distinct counts over a day
or a month: no sum of what each build adds gives them, so each refresh re-reads the days it
recomputes, and doing that every 15 s would cost a day's rows per build.

`sort_by` (optional, a column): the order rows are written in where the backend controls it
(DuckDB's files; default `partition_by`), so reads of a time range skip the rest by min/max
statistics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from backbeat.warehouse.models.declared import (
    DeclarationError,
    declared_kind,
    expand_macros,
    render_declared,
)

#: The models: `warehouse_sql/` of the checkout, or the copy a wheel carries.
_CHECKOUT_SQL = Path(__file__).resolve().parents[3] / "warehouse_sql"
SQL_ROOT: Final = _CHECKOUT_SQL if _CHECKOUT_SQL.is_dir() else Path(__file__).parent / "_sql"
LAYERS: Final = ("staging", "vault", "marts")
COLUMN_TYPES: Final = frozenset(
    {"STRING", "INT64", "FLOAT64", "BOOL", "TIMESTAMP", "DATE", "BYTES", "NUMERIC"}
)
_HEADER = re.compile(r"^\s*/\*\s*---\s*\n(?P<yaml>.*?)\n\s*---\s*\*/\s*\n(?P<sql>.*)$", re.S)

Materialized = Literal["ephemeral", "incremental", "table", "partitions", "merge"]
Refresh = Literal["every build", "periodic"]


class ModelError(ValueError):
    """A model file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str


@dataclass(frozen=True)
class Model:
    """One model: where it lives, what it is, and its SELECT (BigQuery dialect)."""

    layer: str
    name: str
    grain: str
    key: tuple[str, ...]
    materialized: Materialized
    columns: tuple[Column, ...]
    sql: str
    path: Path
    partition_by: str | None = None
    cluster_by: tuple[str, ...] = ()
    sort_by: str | None = None
    rebuild_reason: str | None = None
    description: str = ""
    depends_on: frozenset[str] = field(default_factory=frozenset)
    refresh: Refresh = "every build"

    @property
    def full_name(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def stored(self) -> bool:
        return self.materialized != "ephemeral"


def _fail(path: Path, problem: str) -> ModelError:
    return ModelError(f"{path.name}: {problem}")


def _columns(path: Path, raw: Any) -> tuple[Column, ...]:
    if not isinstance(raw, dict) or not raw:
        raise _fail(path, "`columns` must map each column name to {type, doc}")
    columns = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or "type" not in spec or "doc" not in spec:
            raise _fail(path, f"column `{name}` needs a type and a doc")
        kind = str(spec["type"]).upper()
        if kind not in COLUMN_TYPES:
            raise _fail(path, f"column `{name}` has unknown type {kind}")
        columns.append(Column(str(name), kind, str(spec["doc"])))
    return tuple(columns)


#: Finished builds (build id, since, until, load_ts, finished_at), kept by each backend's model
#: store: not a model, but models may read it (marts.pipeline_freshness does).
BUILD_LOG = "vault.build_log"
_REFERENCE = re.compile(r"\b(?P<layer>raw|staging|vault|marts)\.(?P<name>[a-z_][a-z0-9_]*)\b")


def parse_model(path: Path, text: str) -> Model:
    """A model from its file's text; `path` names it in errors and places it in a layer.

    `<name>.sql`: a YAML header in a leading comment, then the SELECT (macros expanded).
    `<name>.yml`: a declared vault table, the header and its declaration in one YAML file
    (declared.py renders the SELECT).
    """
    if path.suffix == ".yml":
        try:
            header = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise _fail(path, f"not YAML: {exc}") from None
        if isinstance(header, dict):
            header.setdefault("materialized", "incremental")
        return _model(path, header, None)
    match = _HEADER.match(text)
    if match is None:
        raise _fail(path, "missing the `/* --- yaml --- */` header")
    try:
        header = yaml.safe_load(match["yaml"])
    except yaml.YAMLError as exc:
        raise _fail(path, f"header is not YAML: {exc}") from None
    return _model(path, header, match["sql"])


def _model(path: Path, header: Any, body: str | None) -> Model:
    """A model from its header and hand-written SQL (None: a declared one)."""
    if not isinstance(header, dict):
        raise _fail(path, "header must be a YAML mapping")
    missing = {"name", "grain", "materialized"} - set(header)
    if missing:
        raise _fail(path, f"header lacks {', '.join(sorted(missing))}")
    layer, _, name = str(header["name"]).partition(".")
    if layer != path.parent.name or layer not in LAYERS or not name:
        raise _fail(path, f"name must be `{path.parent.name}.<model>`, got {header['name']!r}")
    if name != path.stem:
        raise _fail(path, f"the file must be named after the model ({name}{path.suffix})")
    materialized = header["materialized"]
    if materialized not in ("ephemeral", "incremental", "table", "partitions", "merge"):
        raise _fail(path, f"unknown materialization {materialized!r}")
    if (materialized == "ephemeral") != (layer == "staging"):
        raise _fail(path, "staging models, and only they, are ephemeral")
    if materialized == "table" and not header.get("rebuild_reason"):
        raise _fail(path, "a `table` model must say why it is rebuilt (`rebuild_reason`)")
    if materialized != "table" and header.get("rebuild_reason"):
        raise _fail(path, "only a `table` model is rebuilt whole; say how it is built instead")
    if materialized in ("partitions", "merge") and not header.get("partition_by"):
        raise _fail(path, f"a `{materialized}` model needs `partition_by` (a DATE column)")
    if materialized == "merge" and not header.get("key"):
        raise _fail(path, "a `merge` model needs `key`: its rows replace the stored rows by key")
    refresh = header.get("refresh", "every build")
    if refresh not in ("every build", "periodic"):
        raise _fail(path, f"`refresh` is `every build` or `periodic`, not {refresh!r}")
    if refresh == "periodic" and materialized not in ("partitions", "merge"):
        raise _fail(path, "only a `partitions` or `merge` model can be refreshed periodically")
    columns = (
        _columns(path, header.get("columns"))
        if materialized != "ephemeral" or header.get("columns")
        else ()
    )
    names = {c.name for c in columns}
    key = tuple(header.get("key") or ())
    cluster_by = tuple(header.get("cluster_by") or ())
    partition_by = header.get("partition_by")
    sort_by = header.get("sort_by")
    for wanted in (*key, *cluster_by, *[c for c in (partition_by, sort_by) if c]):
        if wanted not in names:
            raise _fail(path, f"`{wanted}` is not one of its columns")
    try:
        if body is None:
            if layer != "vault" or materialized != "incremental":
                raise DeclarationError("declared tables are incremental vault tables")
            kind = declared_kind(header)
            types = {c.name: c.type for c in columns}
            sql = render_declared(kind, header[kind], f"{layer}.{name}", key, types)
        else:
            sql = expand_macros(body)
    except DeclarationError as exc:
        raise _fail(path, str(exc)) from None
    sql = sql.strip().rstrip(";")
    depends_on = frozenset(
        f"{m['layer']}.{m['name']}"
        for m in _REFERENCE.finditer(re.sub(r"--[^\n]*", "", sql))
        if f"{m['layer']}.{m['name']}" != f"{layer}.{name}"
    )
    if refresh == "periodic" and any(d.startswith("staging.") for d in depends_on):
        raise _fail(
            path,
            "a periodic model cannot read staging: staging holds one build's window, a "
            "refresh covers every build since the last",
        )
    return Model(
        layer=layer,
        name=name,
        grain=str(header["grain"]),
        key=key,
        materialized=materialized,
        columns=columns,
        sql=sql,
        path=path,
        partition_by=partition_by,
        sort_by=sort_by,
        cluster_by=cluster_by,
        rebuild_reason=header.get("rebuild_reason"),
        description=str(header.get("description", "")).strip(),
        depends_on=depends_on,
        refresh=refresh,
    )


def _is_source(name: str) -> bool:
    """A relation models read but do not build: raw tables and the build log."""
    return name.startswith("raw.") or name == BUILD_LOG


def load_models(root: Path = SQL_ROOT) -> dict[str, Model]:
    """Every model under `root`, by full name (`vault.hub_user`)."""
    models: dict[str, Model] = {}
    for layer in LAYERS:
        declared = [p for p in (root / layer).glob("*.yml") if not p.name.endswith(".contract.yml")]
        for path in sorted([*(root / layer).glob("*.sql"), *declared]):
            model = parse_model(path, path.read_text(encoding="utf-8"))
            models[model.full_name] = model
    for model in models.values():
        unknown = {d for d in model.depends_on if not _is_source(d) and d not in models}
        if unknown:
            raise _fail(model.path, f"reads models that do not exist: {', '.join(sorted(unknown))}")
    return models


@cache
def default_models() -> dict[str, Model]:
    return load_models()


def build_order(models: dict[str, Model]) -> list[Model]:
    """Every model in an order where each comes after what it reads (staging first)."""
    order: list[Model] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done or _is_source(name):
            return
        if name in visiting:
            raise _fail(models[name].path, "is part of a dependency cycle")
        visiting.add(name)
        for dependency in sorted(models[name].depends_on):
            visit(dependency)
        visiting.discard(name)
        done.add(name)
        order.append(models[name])

    for layer in LAYERS:
        for name in sorted(n for n, m in models.items() if m.layer == layer):
            visit(name)
    return order
