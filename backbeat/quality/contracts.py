"""Soda data contracts of the warehouse: one YAML file beside each table's SQL.

`warehouse_sql/<layer>/<table>.contract.yml` holds the checks of `<layer>.<table>` (raw tables
have no SQL: `warehouse_sql/raw/` holds only contracts). A file is Soda's contract language
without the parts Backbeat already knows, which it fills in for the backend in use
(`complete`):

- `dataset`: the table's qualified name on that backend;
- every column with its type there, from the model's header or the raw schema, so Soda's
  `schema` check compares the table with what Backbeat declares (columns the file names keep
  their checks), and the schema check itself;
- a `duplicate` check on the model's key (its header's `key:`) unless the file has one;
- `valid_reference_data.dataset` written as `<layer>/<table>`, qualified;
- `query:` of `metric` and `failed_rows` checks, written in BigQuery's dialect with
  `raw.`/`vault.`/`marts.` names, translated;
- `${var.NAME}` from the scan's variables (quality settings, the last build's watermark).

Soda v4 ignores keys it does not know, so a mistyped threshold would pass silently: every
completed contract is validated against Soda's own JSON schema first, and an unknown key is a
`ContractError` naming the file and the place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, Protocol

import jsonschema
import soda_core
import yaml

from backbeat.warehouse.models.spec import SQL_ROOT, Model, default_models
from backbeat.warehouse.raw_schema import DEAD_LETTER_TABLE, RAW_TABLES, table_columns

CONTRACT_SUFFIX: Final = ".contract.yml"
#: The layers with contracts, in the order a scan runs them.
QUALITY_LAYERS: Final = ("raw", "vault", "marts")
#: Kafka coordinates: the idempotency key of every raw table fed by a topic.
RAW_KEY: Final = ("_partition", "_offset")
#: `dead_letter` is fed by every topic the loader reads: the topic is part of its key.
DEAD_LETTER_KEY: Final = ("_topic", "_partition", "_offset")
_SODA_SCHEMA: Final = (
    Path(soda_core.__file__).parent / "contracts" / "soda_data_contract_json_schema_1_0_0.json"
)
_VARIABLE = re.compile(r"\$\{ *var\.([a-zA-Z_][a-zA-Z_0-9]*) *\}")


class ContractError(ValueError):
    """A contract file that is not valid; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Table:
    """A table a contract is about: its columns (BigQuery types) and its key."""

    layer: str
    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.layer}.{self.name}"


@dataclass(frozen=True)
class Contract:
    """One contract file, parsed (not yet completed for a backend)."""

    table: Table
    path: Path
    document: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.table.full_name


class ContractTarget(Protocol):
    """What completing a contract needs to know of a backend."""

    def dataset(self, layer: str, table: str) -> str:
        """Soda's qualified name of `<layer>.<table>`."""
        ...

    def column_type(self, layer: str, bigquery_type: str) -> str:
        """A declared (BigQuery) column type of a table of `layer` as the backend reports it."""
        ...

    def sql(self, query: str) -> str:
        """A query in BigQuery's dialect with logical names, as the backend runs it."""
        ...


def warehouse_tables(models: Mapping[str, Model] | None = None) -> dict[str, Table]:
    """Every table a contract can be about: the raw tables and the stored models."""
    tables = {
        f"raw.{name}": Table(
            "raw",
            name,
            tuple(table_columns(name)),
            DEAD_LETTER_KEY if name == DEAD_LETTER_TABLE else RAW_KEY,
        )
        for name in RAW_TABLES
    }
    for model in (default_models() if models is None else models).values():
        if model.stored and model.layer in QUALITY_LAYERS:
            columns = tuple((c.name, c.type) for c in model.columns)
            tables[model.full_name] = Table(model.layer, model.name, columns, model.key)
    return tables


def load_contracts(
    root: Path = SQL_ROOT,
    layers: tuple[str, ...] = QUALITY_LAYERS,
    tables: Mapping[str, Table] | None = None,
) -> list[Contract]:
    """A contract for every table of `layers`: its file under `root` where there is one, else
    only what Backbeat adds (schema and key). A file for no table is an error."""
    tables = warehouse_tables() if tables is None else tables
    contracts = []
    for layer in layers:
        if layer not in QUALITY_LAYERS:
            raise ContractError(f"no layer {layer!r}: choose from {', '.join(QUALITY_LAYERS)}")
        files = {
            f"{layer}.{path.name.removesuffix(CONTRACT_SUFFIX)}": path
            for path in sorted((root / layer).glob(f"*{CONTRACT_SUFFIX}"))
        }
        for name, path in files.items():
            if name not in tables:
                raise ContractError(f"{path}: there is no table {name} for this contract")
        for name, table in tables.items():
            if table.layer != layer:
                continue
            found = files.get(name)
            where = found or root / layer / f"{table.name}{CONTRACT_SUFFIX}"
            contracts.append(Contract(table, where, _read(found) if found else {}))
    return contracts


def _read(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not YAML: {exc}") from None
    if not isinstance(document, dict):
        raise ContractError(f"{path}: a contract is a mapping, got {document!r}")
    if "dataset" in document:
        raise ContractError(f"{path}: leave out `dataset`: the file's name says the table")
    return document


@cache
def _soda_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(_SODA_SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


def validate(document: Mapping[str, Any], where: Path | str) -> None:
    """Raise a ContractError for anything Soda's contract schema does not allow."""
    errors = sorted(_soda_validator().iter_errors(document), key=lambda e: list(e.path))
    if not errors:
        return
    problems = []
    for error in errors[:5]:
        # anyOf/oneOf errors are vague; the best match is the deepest, naming the wrong key.
        best = jsonschema.exceptions.best_match([error])
        place = "/".join(str(p) for p in best.absolute_path) or "(top)"
        problems.append(f"at {place}: {best.message}")
    raise ContractError(f"{where}: not a valid Soda contract: " + "; ".join(problems))


def _fill_variables(node: Any, variables: Mapping[str, Any], where: Path) -> Any:
    if isinstance(node, dict):
        return {k: _fill_variables(v, variables, where) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill_variables(v, variables, where) for v in node]
    if not isinstance(node, str) or "${" not in node:
        return node

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise ContractError(f"{where}: unknown variable ${{var.{name}}}")
        return str(variables[name])

    whole = _VARIABLE.fullmatch(node)
    if whole:  # a number stays a number for Soda's schema
        value(whole)
        return variables[whole.group(1)]
    return _VARIABLE.sub(value, node)


def _walk_checks(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every check body (the mapping under a check type) in the document."""
    bodies: list[dict[str, Any]] = []
    for entry in [
        *document.get("checks", []),
        *(check for column in document.get("columns", []) for check in column.get("checks", [])),
    ]:
        if isinstance(entry, dict):
            bodies.extend(body for body in entry.values() if isinstance(body, dict))
    return bodies


def complete(
    contract: Contract, target: ContractTarget, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """The contract as Soda reads it on `target` (see the module docstring); validated."""
    table = contract.table
    # New containers throughout: the parsed file is never changed.
    document: dict[str, Any] = _fill_variables(dict(contract.document), variables, contract.path)
    columns, checks = document.get("columns", []), document.get("checks", [])
    if not isinstance(columns, list) or not all(
        isinstance(c, dict) and isinstance(c.get("name"), str) for c in columns
    ):
        raise ContractError(f"{contract.path}: `columns` is a list of mappings with a `name`")
    if not isinstance(checks, list):
        raise ContractError(f"{contract.path}: `checks` is a list")
    declared = {name: kind for name, kind in table.columns}
    named = {c["name"]: c for c in columns}
    for name in named:
        if name not in declared:
            raise ContractError(f"{contract.path}: {table.full_name} has no column {name!r}")
    document["columns"] = [
        {**named.get(name, {}), "name": name, "data_type": target.column_type(table.layer, kind)}
        for name, kind in table.columns
    ]
    kinds = {next(iter(c)) for c in checks if isinstance(c, dict) and c}
    if "schema" not in kinds:
        checks.insert(0, {"schema": None})
    if table.key and "duplicate" not in kinds:
        checks.append({"duplicate": {"columns": list(table.key), "name": "key is unique"}})
    document["checks"] = checks
    for body in _walk_checks(document):
        if "query" in body:
            body["query"] = target.sql(body["query"])
        reference = body.get("valid_reference_data")
        if isinstance(reference, dict) and "dataset" in reference:
            layer, _, name = str(reference["dataset"]).partition("/")
            reference["dataset"] = target.dataset(layer, name)
    document = {"dataset": target.dataset(table.layer, table.name), **document}
    validate(document, contract.path)
    return document
