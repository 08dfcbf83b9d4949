"""Reading the BigQuery warehouse with the names both backends share (`raw.<table>`, ...).

Datasets are configurable (`BACKBEAT_WAREHOUSE_RAW_DATASET` & co.), so queries are written
against the logical names `raw`, `vault` and `marts` and rewritten to the configured
`project.dataset` before they run.
"""

from __future__ import annotations

import sqlglot
from google.api_core import exceptions as google_errors
from sqlglot import exp
from sqlglot.errors import ParseError

from backbeat.settings.warehouse import WarehouseSettings
from backbeat.warehouse.bigquery.client import bigquery_client
from backbeat.warehouse.queries import QueryError, QueryResult
from backbeat.warehouse.raw_schema import RAW_TABLES


def qualify_datasets(sql: str, project: str, datasets: dict[str, str]) -> str:
    """`sql` with tables of the logical datasets (`raw.t`) as `project.<configured>.t`."""
    try:
        trees = [tree for tree in sqlglot.parse(sql, read="bigquery") if tree is not None]
    except ParseError as exc:
        detail = exc.errors[0]["description"] if exc.errors else str(exc)
        raise QueryError(f"not valid BigQuery SQL: {detail}") from None
    if len(trees) != 1:
        raise QueryError(f"expected one SQL statement, got {len(trees)}")

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.catalog and node.db in datasets:
            node.set("db", exp.to_identifier(datasets[node.db]))
            node.set("catalog", exp.to_identifier(project))
        return node

    return trees[0].transform(rewrite).sql(dialect="bigquery")


class BigQueryWarehouse:
    """The production warehouse, queried through the official client."""

    def __init__(self, settings: WarehouseSettings) -> None:
        self._client = bigquery_client(settings)
        self._datasets = {
            "raw": settings.raw_dataset,
            "vault": settings.vault_dataset,
            "marts": settings.marts_dataset,
        }

    def query(self, sql: str) -> QueryResult:
        qualified = qualify_datasets(sql, self._client.project, self._datasets)
        try:
            result = self._client.query(qualified).result()
        except google_errors.GoogleAPICallError as exc:
            raise QueryError(exc.message) from None
        columns = [field.name for field in result.schema or []]
        return QueryResult(columns, [tuple(row.values()) for row in result])

    def raw_counts(self) -> dict[str, int]:
        union = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM raw.{t}" for t in RAW_TABLES)
        return {str(table): int(count) for table, count in self.query(union).rows}
