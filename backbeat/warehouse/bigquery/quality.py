"""BigQuery (or its emulator) as Soda's data source, and `quality.results` as a table.

Soda's client is the one Backbeat made (soda.py), so contracts read with the same
credentials as every other reader. Soda's BigQuery dataset names are
`<datasource>/<project>/<dataset>/<table>`. Results go to
`<project>.<BACKBEAT_QUALITY_RESULTS_DATASET>.results` (created on first use, partitioned by
day of `checked_at`), streamed in with the scan's run id as row ids.
"""

from __future__ import annotations

from typing import Any

from google.cloud import bigquery

from backbeat.warehouse.bigquery.soda import existing_client_data_source
from backbeat.warehouse.bigquery.tables import quality_results_table
from backbeat.warehouse.bigquery.warehouse import qualify_datasets
from backbeat.warehouse.quality_table import DATA_SOURCE, RESULTS_TABLE


class BigQueryQualityTarget:
    def __init__(self, client: bigquery.Client, datasets: dict[str, str], location: str) -> None:
        """`datasets`: the configured dataset of each logical one, `quality` included."""
        self._client = client
        self.project = client.project
        self._datasets = datasets
        self._location = location
        self._results_ready = False

    def dataset(self, layer: str, table: str) -> str:
        return f"{DATA_SOURCE}/{self.project}/{self._datasets[layer]}/{table}"

    def column_type(self, layer: str, bigquery_type: str) -> str:
        return bigquery_type

    def sql(self, query: str) -> str:
        return qualify_datasets(query, self.project, self._datasets)

    def data_source(self) -> Any:
        return existing_client_data_source(self._client, DATA_SOURCE)

    def _results_table(self) -> str:
        """The results table, created on first use where `backbeat bigquery init` has not."""
        dataset_id = self._datasets["quality"]
        if not self._results_ready:
            dataset = bigquery.Dataset(f"{self.project}.{dataset_id}")
            dataset.location = self._location
            self._client.create_dataset(dataset, exists_ok=True)
            self._client.create_table(
                quality_results_table(self.project, dataset_id), exists_ok=True
            )
            self._results_ready = True
        return f"{self.project}.{dataset_id}.{RESULTS_TABLE}"

    def store_results(self, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        payload = [{**row, "checked_at": row["checked_at"].isoformat()} for row in rows]
        errors = self._client.insert_rows_json(
            self._results_table(),
            payload,
            row_ids=[f"{row['run_id']}-{i}" for i, row in enumerate(rows)],
        )
        if errors:
            raise RuntimeError(f"quality results not stored in BigQuery: {errors[:3]}")
        return len(rows)

    def close(self) -> None:
        self._client.close()
