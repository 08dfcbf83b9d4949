"""Reading the BigQuery warehouse with the names both backends share (`raw.<table>`, ...).

Datasets are configurable (`BACKBEAT_WAREHOUSE_RAW_DATASET` & co.), so queries are written
against the logical names `raw`, `vault` and `marts` and rewritten to the configured
`project.dataset` before they run.
"""

from __future__ import annotations

from google.api_core import exceptions as google_errors
from sqlglot import exp

from backbeat.settings.warehouse import WarehouseSettings
from backbeat.warehouse.bigquery.client import GoogleAuth, bigquery_client
from backbeat.warehouse.dialect import parse_statement
from backbeat.warehouse.queries import RAW_COUNTS_SQL, QueryError, QueryResult


def qualify_datasets(sql: str, project: str, datasets: dict[str, str]) -> str:
    """`sql` with tables of the logical datasets (`raw.t`) as `project.<configured>.t`."""
    tree = parse_statement(sql)

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.catalog and node.db in datasets:
            node.set("db", exp.to_identifier(datasets[node.db]))
            node.set("catalog", exp.to_identifier(project))
        return node

    return tree.transform(rewrite).sql(dialect="bigquery")


class BigQueryWarehouse:
    """The production warehouse, queried through the official client."""

    def __init__(self, settings: WarehouseSettings, auth: GoogleAuth | None = None) -> None:
        self._client = bigquery_client(settings, auth)
        self._datasets = settings.datasets()

    def query(self, sql: str) -> QueryResult:
        qualified = qualify_datasets(sql, self._client.project, self._datasets)
        try:
            result = self._client.query(qualified).result()
        except google_errors.GoogleAPICallError as exc:
            raise QueryError(exc.message) from None
        columns = [field.name for field in result.schema or []]
        return QueryResult(columns, [tuple(row.values()) for row in result])

    def raw_counts(self) -> dict[str, int]:
        return {str(table): int(count) for table, count in self.query(RAW_COUNTS_SQL).rows}
