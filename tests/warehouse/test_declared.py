"""The vault declared as data: every hub, link, transactional link and satellite is a YAML
declaration rendered by its table type's template, named with the field's prefixes; a
declaration that cannot work is refused with a message that says why."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from backbeat.warehouse.dialect import parse_statement, to_duckdb_sql
from backbeat.warehouse.models.declared import KINDS
from backbeat.warehouse.models.macros import repair_mojibake
from backbeat.warehouse.models.spec import SQL_ROOT, ModelError, default_models, load_models

PREFIXES = {"hub": "hub_", "link": "link_", "t_link": "t_link_", "sat": ("sat_", "eff_sat_")}


def test_every_vault_table_but_the_pit_is_declared_with_its_prefix() -> None:
    vault = SQL_ROOT / "vault"
    declared = {p.stem for p in vault.glob("*.yml") if not p.name.endswith(".contract.yml")}
    written = {p.stem for p in vault.glob("*.sql")}
    assert written == {"pit_user"}
    assert len(declared) == 19
    models = default_models()
    for name in declared:
        header = models[f"vault.{name}"]
        text = header.path.read_text()
        (kind,) = [k for k in KINDS if f"\n{k}:" in text]
        assert name.startswith(PREFIXES[kind]), (name, kind)


def test_the_plan_history_is_the_effectivity_satellite() -> None:
    text = (SQL_ROOT / "vault" / "eff_sat_user_plan.yml").read_text()
    assert "one_per_instant_by: item_in_session" in text


HUB = """name: vault.hub_thing
grain: one row per thing
key: [thing_hk]
columns:
  thing_hk: {type: STRING, doc: key}
  thing: {type: STRING, doc: the thing}
  load_ts: {type: TIMESTAMP, doc: load}
  record_source: {type: STRING, doc: source}
hub:
  business_keys: [thing]
  sources:
    - {model: staging.things, at: seen_at}
"""


def _load(tmp_path: Path, text: str) -> None:
    (tmp_path / "vault").mkdir(exist_ok=True)
    (tmp_path / "staging").mkdir(exist_ok=True)
    (tmp_path / "staging" / "things.sql").write_text(
        "/* ---\nname: staging.things\ngrain: one per raw row\nmaterialized: ephemeral\n--- */\n"
        "SELECT 'a' AS thing_hk, 'a' AS thing, CURRENT_TIMESTAMP() AS seen_at, "
        "'t' AS record_source"
    )
    (tmp_path / "vault" / "hub_thing.yml").write_text(text)
    load_models(tmp_path)


def test_a_declared_hub_renders_and_reads_its_sources(tmp_path: Path) -> None:
    _load(tmp_path, HUB)
    model = load_models(tmp_path)["vault.hub_thing"]
    assert model.depends_on == {"staging.things"}
    assert "NOT EXISTS (SELECT 1 FROM vault.hub_thing" in model.sql


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("  thing: {type: STRING, doc: the thing}\n", ""), r"produces \['thing_hk', 'thing'"),
        (("business_keys: [thing]", "business_keys: []"), "business_keys: List should have"),
        (("hub:\n", "hub:\n  colour: red\n"), "colour: Extra inputs are not permitted"),
        ((", at: seen_at}", "}"), "every source of a hub needs `at`"),
        (("hub:\n", "sat:\n  payload: [x]\nhub:\n"), r"declare exactly one of .*\['hub', 'sat'\]"),
        (("staging.things", "raw.things"), "model: String should match pattern"),
        (("key: [thing_hk]", "key: [thing_hk, thing]"), r"a hub's key is \[<name>_hk\]"),
    ],
)
def test_a_declaration_that_cannot_work_is_refused_with_the_reason(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in HUB
    with pytest.raises(ModelError, match=message):
        _load(tmp_path, HUB.replace(old, new, 1))


@pytest.mark.parametrize(
    ("broken", "repaired"),
    [
        ("Björk".encode().decode("latin-1"), "Björk"),
        (
            "Björk".encode().decode("latin-1").encode().decode("latin-1"),
            "Björk".encode().decode("latin-1"),
        ),
        ("Björk", "Björk"),
        ("plain", "plain"),
    ],
)
def test_one_pass_of_the_mojibake_repair_on_duckdb(broken: str, repaired: str) -> None:
    sql = to_duckdb_sql(parse_statement(f"SELECT {repair_mojibake('name')} FROM t"))
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE t AS SELECT ? AS name", [broken])
        assert connection.execute(sql).fetchone() == (repaired,)
