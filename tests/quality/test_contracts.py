"""The contract files: every shipped one is valid Soda, Backbeat completes them the same way on
each backend, and a mistake in a file is an error that names it (Soda v4 alone lets a
mistyped key pass)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from soda_core.common.yaml import ContractYamlSource
from soda_core.contracts.contract_verification import ContractVerificationSession
from soda_duckdb.common.data_sources.duckdb_data_source import DuckDBDataSourceImpl

from backbeat.quality.contracts import (
    CONTRACT_SUFFIX,
    ContractError,
    Table,
    complete,
    load_contracts,
    validate,
    warehouse_tables,
)

VARIABLES = {
    "raw_freshness_minutes": 60,
    "built_until": "2024-01-01 00:00:00+00",
    "built_load_ts": "2024-01-01 00:00:05+00",
}


class LogicalNames:
    """A target that keeps Backbeat's names: BigQuery types, `backbeat/<layer>/<table>`."""

    def dataset(self, layer: str, table: str) -> str:
        return f"backbeat/{layer}/{table}"

    def column_type(self, layer: str, bigquery_type: str) -> str:
        return bigquery_type

    def sql(self, query: str) -> str:
        return query


def write(root: Path, name: str, text: str) -> Path:
    layer, table = name.split(".")
    path = root / layer / f"{table}{CONTRACT_SUFFIX}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


TABLE = Table("raw", "t", (("n", "INT64"), ("level", "STRING")), ("n",))


def test_every_shipped_contract_is_valid_soda_on_every_table() -> None:
    contracts = load_contracts()
    assert {c.name for c in contracts} == set(warehouse_tables())
    for contract in contracts:
        document = complete(contract, LogicalNames(), VARIABLES)
        assert document["dataset"] == f"backbeat/{contract.table.layer}/{contract.table.name}"
        assert [c["name"] for c in document["columns"]] == [n for n, _ in contract.table.columns]


def test_the_schema_and_key_come_from_the_table_not_the_file(tmp_path: Path) -> None:
    write(tmp_path, "raw.t", "columns:\n  - name: level\n    checks:\n      - missing:\n")
    (contract,) = load_contracts(tmp_path, ("raw",), {"raw.t": TABLE})
    document = complete(contract, LogicalNames(), VARIABLES)
    assert document["columns"] == [
        {"name": "n", "data_type": "INT64"},
        {"name": "level", "checks": [{"missing": None}], "data_type": "STRING"},
    ]
    assert document["checks"] == [
        {"schema": None},
        {"duplicate": {"columns": ["n"], "name": "key is unique"}},
    ]


def test_queries_and_reference_datasets_are_written_for_the_backend(tmp_path: Path) -> None:
    class Shouting(LogicalNames):
        def dataset(self, layer: str, table: str) -> str:
            return f"src/proj/{layer}_ds/{table}"

        def sql(self, query: str) -> str:
            return query.upper()

    write(
        tmp_path,
        "raw.t",
        """checks:
  - metric:
      query: select count(*) from raw.t where ts <= '${var.built_until}'
      threshold: {must_be: 0}
columns:
  - name: level
    checks:
      - invalid:
          valid_reference_data: {dataset: vault/hub_level, column: level}
""",
    )
    (contract,) = load_contracts(tmp_path, ("raw",), {"raw.t": TABLE})
    document = complete(contract, Shouting(), VARIABLES)
    assert document["dataset"] == "src/proj/raw_ds/t"
    query = document["checks"][1]["metric"]["query"]
    assert query == "SELECT COUNT(*) FROM RAW.T WHERE TS <= '2024-01-01 00:00:00+00'"
    reference = document["columns"][1]["checks"][0]["invalid"]["valid_reference_data"]
    assert reference == {"dataset": "src/proj/vault_ds/hub_level", "column": "level"}


MISTYPED = """checks:
  - row_count:
      threshold:
        must_be_les_than: 1
"""


def test_soda_alone_lets_a_mistyped_threshold_pass() -> None:
    # Why Backbeat validates first: Soda 4.28 ignores the unknown key and passes the check.
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA raw; CREATE TABLE raw.t AS SELECT 5 AS n")
    text = "dataset: backbeat/raw/t\n" + MISTYPED + "columns:\n  - name: n\n"
    result = ContractVerificationSession.execute(
        contract_yaml_sources=[ContractYamlSource.from_str(text)],
        data_source_impls=[DuckDBDataSourceImpl.from_existing_cursor(connection, "backbeat")],
    )
    assert result.is_ok and not result.has_errors


def test_a_mistyped_key_is_an_error_naming_the_file_and_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "raw.t", MISTYPED)
    (contract,) = load_contracts(tmp_path, ("raw",), {"raw.t": TABLE})
    with pytest.raises(ContractError) as raised:
        complete(contract, LogicalNames(), VARIABLES)
    message = str(raised.value)
    assert str(path) in message and "must_be_les_than" in message
    assert "at checks/1/row_count/threshold" in message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("columns:\n  - name: nope\n", "raw.t has no column 'nope'"),
        ("dataset: elsewhere/t\n", "leave out `dataset`"),
        (
            "checks:\n  - row_count:\n      threshold: {must_be: '${var.unknown}'}\n",
            "unknown variable",
        ),
        ("columns:\n  - name: n\n    checks:\n      - missin:\n", "missin"),
        ("[not, a, mapping]\n", "a contract is a mapping"),
        ("columns: [level]\n", "`columns` is a list of mappings with a `name`"),
    ],
)
def test_other_mistakes_are_errors_that_say_what_is_wrong(
    tmp_path: Path, text: str, says: str
) -> None:
    write(tmp_path, "raw.t", text)
    with pytest.raises(ContractError, match=says.replace("(", r"\(").replace("$", r"\$")):
        for contract in load_contracts(tmp_path, ("raw",), {"raw.t": TABLE}):
            complete(contract, LogicalNames(), VARIABLES)


def test_a_contract_for_no_table_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "raw.nothing", "checks:\n  - row_count:\n")
    with pytest.raises(ContractError, match=r"there is no table raw\.nothing"):
        load_contracts(tmp_path, ("raw",), {"raw.t": TABLE})


def test_validation_accepts_what_soda_documents() -> None:
    validate(
        yaml.safe_load(
            """dataset: backbeat/raw/t
checks:
  - freshness: {column: ts, threshold: {unit: minute, must_be_less_than: 60}}
columns:
  - name: level
    checks:
      - invalid: {valid_values: [free, paid]}
"""
        ),
        "inline",
    )
