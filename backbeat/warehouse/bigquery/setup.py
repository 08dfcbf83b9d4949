"""`backbeat bigquery init`: the datasets and raw tables, created if missing (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass, field

from google.cloud import bigquery

from backbeat.settings.warehouse import WarehouseSettings
from backbeat.warehouse.bigquery.client import bigquery_client
from backbeat.warehouse.bigquery.model_tables import BUILD_LOG, BUILD_LOG_SCHEMA
from backbeat.warehouse.bigquery.tables import (
    TableSpec,
    quality_results_table,
    raw_table_specs,
    table_definition,
)

#: What the loader's and the flows' service account needs, and why.
SERVICE_ACCOUNT_ROLES: tuple[tuple[str, str], ...] = (
    (
        "roles/bigquery.dataEditor",
        "on the raw, vault, marts and quality datasets: write rows, create tables",
    ),
    ("roles/bigquery.jobUser", "on the project: run the flows' queries"),
    ("roles/bigquery.readSessionUser", "on the project: read results through the Storage Read API"),
)


@dataclass
class InitReport:
    created_datasets: list[str] = field(default_factory=list)
    created_tables: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    #: Columns added to tables an older Backbeat created ("raw.dead_letter.stage", ...).
    added_columns: list[str] = field(default_factory=list)
    #: Tables an older Backbeat clustered otherwise, given this one's clustering.
    reclustered: list[str] = field(default_factory=list)


def init_bigquery(settings: WarehouseSettings, quality_dataset: str | None = None) -> InitReport:
    """Create the raw, vault and marts datasets, the raw tables and the build log where they
    are missing; with `quality_dataset`, that dataset and its `results` table too."""
    client = bigquery_client(settings)
    project = client.project
    report = InitReport()
    datasets = [settings.raw_dataset, settings.vault_dataset, settings.marts_dataset]
    for name in datasets + ([quality_dataset] if quality_dataset else []):
        dataset = bigquery.Dataset(f"{project}.{name}")
        dataset.location = settings.bigquery_location
        before = {d.dataset_id for d in client.list_datasets()}
        client.create_dataset(dataset, exists_ok=True)
        (report.existing if name in before else report.created_datasets).append(name)
    existing_tables = {t.table_id for t in client.list_tables(f"{project}.{settings.raw_dataset}")}
    for spec in raw_table_specs():
        full_name = f"{settings.raw_dataset}.{spec.name}"
        if spec.name in existing_tables:
            report.existing.append(full_name)
            report.added_columns += _add_missing_columns(client, f"{project}.{full_name}", spec)
            if _recluster(client, f"{project}.{full_name}", spec):
                report.reclustered.append(full_name)
            continue
        client.create_table(table_definition(project, settings.raw_dataset, spec), exists_ok=True)
        report.created_tables.append(full_name)
    log_id = f"{project}.{settings.vault_dataset}.{BUILD_LOG}"
    if BUILD_LOG in {t.table_id for t in client.list_tables(f"{project}.{settings.vault_dataset}")}:
        report.existing.append(f"{settings.vault_dataset}.{BUILD_LOG}")
    else:  # made here too, so `backbeat freshness` runs before the first build
        client.create_table(bigquery.Table(log_id, schema=BUILD_LOG_SCHEMA), exists_ok=True)
        report.created_tables.append(f"{settings.vault_dataset}.{BUILD_LOG}")
    if quality_dataset:
        table = quality_results_table(project, quality_dataset)
        existing = {t.table_id for t in client.list_tables(f"{project}.{quality_dataset}")}
        if table.table_id in existing:
            report.existing.append(f"{quality_dataset}.{table.table_id}")
        else:
            client.create_table(table, exists_ok=True)
            report.created_tables.append(f"{quality_dataset}.{table.table_id}")
    return report


def _recluster(client: bigquery.Client, table_id: str, spec: TableSpec) -> bool:
    """Give a table an older Backbeat made this one's clustering (BigQuery applies it to new
    data at once and re-sorts the old in the background, at no charge); True if changed."""
    table = client.get_table(table_id)
    if list(table.clustering_fields or []) == spec.clustering:
        return False
    table.clustering_fields = spec.clustering
    client.update_table(table, ["clustering_fields"])
    return True


def _add_missing_columns(client: bigquery.Client, table_id: str, spec: TableSpec) -> list[str]:
    """Columns a newer Backbeat declares, added to a table an older one made (NULLABLE
    columns can be added in place; nothing is dropped or retyped)."""
    table = client.get_table(table_id)
    present = {column.name for column in table.schema}
    missing = [column for column in spec.schema() if column.name not in present]
    if not missing:
        return []
    table.schema = [*table.schema, *missing]
    client.update_table(table, ["schema"])
    return [f"{spec.name}.{column.name}" for column in missing]
