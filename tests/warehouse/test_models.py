"""The model files: headers, the lint for constructs that differ between the backends, and
hash keys that come out the same on BigQuery and DuckDB."""

from __future__ import annotations

from hashlib import md5
from pathlib import Path

import pytest
from sqlglot import exp

from backbeat.settings import get_settings
from backbeat.warehouse.bigquery.warehouse import BigQueryWarehouse
from backbeat.warehouse.duckdb.warehouse import DuckDBWarehouse
from backbeat.warehouse.models.macros import hash_key
from backbeat.warehouse.models.render import lint, render
from backbeat.warehouse.models.spec import (
    ModelError,
    build_order,
    default_models,
    load_models,
    parse_model,
)
from tests.conftest import BigQueryEmulator

HEADER = """/* ---
name: vault.hub_thing
grain: one row per thing
key: [thing_hk]
materialized: incremental
columns:
  thing_hk: {type: STRING, doc: the key}
--- */
"""


def model_from(sql: str, header: str = HEADER, name: str = "hub_thing") -> object:
    return parse_model(Path(f"/x/vault/{name}.sql"), header + sql)


def test_every_shipped_model_parses_lints_clean_and_orders() -> None:
    models = default_models()
    assert {m.layer for m in models.values()} == {"staging", "vault", "marts"}
    for model in models.values():
        assert lint(model) == [], model.name
        if model.stored:
            assert model.columns and all(c.doc for c in model.columns), model.name
    order = [m.full_name for m in build_order(models)]
    for position, name in enumerate(order):
        for dependency in models[name].depends_on:
            if dependency in order:
                assert order.index(dependency) < position, (name, dependency)
    contract = {
        "marts.song_plays",
        "marts.hourly_activity",
        "marts.top_songs_daily",
        "marts.active_users",
        "marts.subscriptions_daily",
        "marts.sessions",
        "marts.artist_royalties_monthly",
        "marts.pipeline_freshness",
    }
    assert contract <= set(models)


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("SELECT FARM_FINGERPRINT(x) AS thing_hk FROM t", "FARM_FINGERPRINT"),
        ("SELECT EXTRACT(DATE FROM ts) AS thing_hk FROM t", "EXTRACT(DATE"),
        ("SELECT x AS thing_hk FROM `proj.raw.listen_events`", "no project"),
        ("SELECT x AS thing_hk FROM t, UNNEST(a) AS x WITH OFFSET AS o", "WITH OFFSET"),
        ("SELECT CAST(x AS NUMERIC) AS thing_hk FROM t", "NUMERIC"),
    ],
)
def test_lint_rejects_what_translates_differently(sql: str, problem: str) -> None:
    model = model_from(sql)
    problems = lint(model)  # type: ignore[arg-type]
    assert any(problem in p for p in problems), problems
    with pytest.raises(ModelError, match=r"hub_thing\.sql"):
        render(model, {})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("SELECT 1", "missing the"),
        (HEADER.replace("name: vault.hub_thing", "name: marts.hub_thing"), "name must be"),
        (
            HEADER.replace("materialized: incremental", "materialized: view"),
            "unknown materialization",
        ),
        (HEADER.replace("materialized: incremental", "materialized: table"), "must say why"),
        (
            HEADER.replace(
                "materialized: incremental", "materialized: incremental\nrebuild_reason: x"
            ),
            "only a `table` model",
        ),
        (HEADER.replace("type: STRING", "type: TEXT"), "unknown type TEXT"),
        (
            HEADER.replace(
                "materialized: incremental", "materialized: incremental\nrefresh: periodic"
            ),
            "only a `partitions` or `merge` model",
        ),
        (
            HEADER.replace(
                "materialized: incremental", "materialized: incremental\nrefresh: hourly"
            ),
            "`every build` or `periodic`",
        ),
        (HEADER.replace("key: [thing_hk]", "key: [nope]"), "`nope` is not one of its columns"),
    ],
)
def test_header_problems_are_named(header: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        model_from("SELECT 'a' AS thing_hk", header=header if "---" in header else "")


def test_a_periodic_model_cannot_read_staging() -> None:
    """Staging holds one build's window; a periodic refresh covers every build since the last."""
    header = HEADER.replace(
        "materialized: incremental",
        "materialized: partitions\nrefresh: periodic\npartition_by: thing_date",
    ).replace("columns:", "columns:\n  thing_date: {type: DATE, doc: a date}")
    with pytest.raises(ModelError, match="cannot read staging"):
        model_from("SELECT thing_hk, thing_date FROM staging.listens", header=header)


def test_a_model_reading_a_missing_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "vault").mkdir()
    (tmp_path / "vault" / "hub_thing.sql").write_text(
        HEADER + "SELECT thing_hk FROM staging.nothing_here"
    )
    with pytest.raises(ModelError, match=r"staging\.nothing_here"):
        load_models(tmp_path)


def test_staging_is_inlined_unless_the_build_kept_it_as_a_table() -> None:
    models = default_models()
    hub = models["vault.hub_user"]
    reads = {"listens", "logins", "page_views", "plan_changes"}

    def staging_refs(staged: frozenset[str]) -> tuple[set[str], set[str]]:
        tree = render(hub, models, staged)
        ctes = {cte.alias for cte in tree.find_all(exp.CTE) if cte.alias.startswith("staging__")}
        tables = {t.name for t in tree.find_all(exp.Table) if t.db == "staging"}
        return ctes, tables

    assert staging_refs(frozenset()) == ({f"staging__{name}" for name in reads}, set())
    kept = frozenset({"page_views", "listens"})
    assert staging_refs(kept) == ({"staging__logins", "staging__plan_changes"}, set(kept))


#: The hash key macro the staging and vault models use, on sample values (see
#: warehouse_sql/README.md and backbeat/warehouse/models/macros.py).
_AGENT = """TRIM('"Mozilla/5.0"', '"')"""
HASHES = f"""
SELECT
  {hash_key("38", "0", "UNIX_MILLIS(TIMESTAMP_MILLIS(1541105830796))")} AS event_hk,
  {hash_key("39")} AS user_hk,
  {hash_key("'Björk'", "'Jóga'", "FORMAT('%.5f', 305.3177)")} AS song_hk,
  {hash_key("CAST(NULL AS STRING)", "'Tampa'", "'FL'")} AS location_hk,
  {hash_key('''TRIM('"Mozilla/5.0"', '"')''')} AS user_agent_hk,
  {hash_key("CAST(NULL AS INT64)", ghost_if="TRUE")} AS ghost_hk,
  {hash_key("CAST(NULL AS STRING)")} AS missing_hk
"""


def test_hash_keys_are_the_same_on_bigquery_and_duckdb(
    bigquery_emulator: BigQueryEmulator, tmp_path: Path
) -> None:
    settings = bigquery_emulator.settings(get_settings())
    on_bigquery = BigQueryWarehouse(settings.warehouse).query(HASHES)
    on_duckdb = DuckDBWarehouse(tmp_path).query(HASHES)
    assert on_bigquery.rows == on_duckdb.rows
    # The documented rule, computed without SQL: lowercase hex MD5 of the UTF-8 key text.
    expected = [
        "38|0|1541105830796",
        "39",
        "Björk|Jóga|305.31770",
        "|Tampa|FL",
        "Mozilla/5.0",
    ]
    assert list(on_duckdb.rows[0][:5]) == [md5(k.encode()).hexdigest() for k in expected]
    assert on_duckdb.rows[0][5] == "0" * 32
    assert on_duckdb.rows[0][6] == md5(b"").hexdigest()  # a missing part is ''


def test_the_warehouse_reference_is_up_to_date() -> None:
    from backbeat.warehouse.models.reference import render_reference

    reference = Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"
    assert reference.read_text(encoding="utf-8") == render_reference(default_models()), (
        "docs/warehouse.md is stale: run `backbeat models -o docs/warehouse.md`"
    )
