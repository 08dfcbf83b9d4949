"""A model's SELECT, ready for a backend: staging inlined as CTEs, constructs linted.

Pure logic over sqlglot trees. The same tree is then written as BigQuery SQL (datasets
qualified) or translated to DuckDB (backbeat/warehouse/dialect.py).
"""

from __future__ import annotations

from sqlglot import exp

from backbeat.warehouse.dialect import TranslationError, parse_statement
from backbeat.warehouse.models.spec import Model, ModelError

#: Constructs sqlglot 30 does not translate to DuckDB, or translates with a different answer.
#: Models must not use them; each entry says what to write instead.
UNSUPPORTED: tuple[tuple[type[exp.Expression], str], ...] = (
    (exp.Command, "scripting (DECLARE/SET/IF) has no DuckDB translation; use plain SELECTs"),
    (exp.DayOfWeek, "DAYOFWEEK numbering differs between the engines; use FORMAT_DATE('%u', d)"),
)
_FORBIDDEN_FUNCTIONS = {
    "FARM_FINGERPRINT": "FARM_FINGERPRINT has no DuckDB equivalent; hash with TO_HEX(MD5(...))",
    "GENERATE_UUID": "not deterministic: rows would differ on every build",
}


def lint(model: Model) -> list[str]:
    """What in `model` cannot run the same on both backends (empty when fine)."""
    try:
        tree = parse_statement(model.sql)
    except TranslationError as exc:
        return [str(exc)]
    problems = []
    for kind, advice in UNSUPPORTED:
        if tree.find(kind) is not None:
            problems.append(advice)
    for function in tree.find_all(exp.Anonymous, exp.Func):
        name = function.sql_name().upper() if isinstance(function, exp.Func) else ""
        if isinstance(function, exp.Anonymous):
            name = str(function.this).upper()
        if name in _FORBIDDEN_FUNCTIONS:
            problems.append(_FORBIDDEN_FUNCTIONS[name])
    for extract in tree.find_all(exp.Extract):
        if extract.this.name.upper() == "DATE":
            problems.append("EXTRACT(DATE FROM ts) fails on DuckDB; write DATE(ts)")
    for unnest in tree.find_all(exp.Unnest):
        if unnest.args.get("offset"):
            problems.append("UNNEST ... WITH OFFSET is 0-based on BigQuery, 1-based on DuckDB")
    for table in tree.find_all(exp.Table):
        if table.catalog:
            problems.append(f"`{table.sql('bigquery')}`: name tables `layer.table`, no project")
    for cast in tree.find_all(exp.Cast):
        if cast.to.this in (exp.DataType.Type.DECIMAL, exp.DataType.Type.BIGDECIMAL):
            problems.append("NUMERIC scale differs between the engines; use FLOAT64 or ROUND")
    return sorted(set(problems))


def _staging_cte_name(name: str) -> str:
    return f"staging__{name}"


def render(
    model: Model, models: dict[str, Model], staged: frozenset[str] = frozenset()
) -> exp.Expression:
    """The model's SELECT with every `staging.<name>` it reads inlined as a CTE.

    Staging models named in `staged` were kept as tables for this build (the backend's
    choice): references to them stay `staging.<name>`.
    """
    problems = lint(model)
    if problems:
        raise ModelError(f"{model.path.name}: " + "; ".join(problems))
    tree = parse_statement(model.sql)
    needed: list[str] = []

    def collect(name: str) -> None:
        if name in staged:
            return
        staging = models[f"staging.{name}"]
        for dependency in sorted(staging.depends_on):
            layer, _, inner = dependency.partition(".")
            if layer == "staging":
                collect(inner)
        if name not in needed:
            needed.append(name)

    for table in tree.find_all(exp.Table):
        if table.db == "staging":
            collect(table.name)

    def to_cte_reference(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.db == "staging" and node.name not in staged:
            alias = node.alias or node.name
            return exp.Table(
                this=exp.to_identifier(_staging_cte_name(node.name)),
                alias=exp.TableAlias(this=exp.to_identifier(alias)),
            )
        return node

    ctes = []
    for name in needed:
        staging_tree = parse_statement(models[f"staging.{name}"].sql)
        ctes.append((_staging_cte_name(name), staging_tree.transform(to_cte_reference)))
    tree = tree.transform(to_cte_reference)
    if not ctes:
        return tree
    # The model may itself be a UNION or have CTEs: select from it, with staging outermost.
    wrapped = exp.select("*").from_(_subquery(tree, "model"))
    wrapped.set(
        "with_",
        exp.With(
            expressions=[
                exp.CTE(this=body, alias=exp.TableAlias(this=exp.to_identifier(name)))
                for name, body in ctes
            ]
        ),
    )
    return wrapped


def typed(model: Model, tree: exp.Expression) -> exp.Select:
    """`tree` wrapped so it returns exactly the header's columns, in order, with their types.

    Every file or table of a model then has one schema, and a model that forgets a column
    fails at once instead of writing a narrower table.
    """
    columns = [
        exp.cast(
            exp.column(column.name, table="model_output"), column.type, dialect="bigquery"
        ).as_(column.name)
        for column in model.columns
    ]
    return exp.select(*columns).from_(_subquery(tree, "model_output"))


def _subquery(tree: exp.Expression, alias: str) -> exp.Subquery:
    return exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def parameters(tree: exp.Expression) -> set[str]:
    """The `@name` parameters a statement uses."""
    return {parameter.name for parameter in tree.find_all(exp.Parameter)}
