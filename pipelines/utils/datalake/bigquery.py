"""The production datalake: staging files in GCS, tables in BigQuery, through basedosdados.

It mirrors the local backend: the same Parquet files, in the same
`staging/<dataset_id>/<table_id>/<partition>/` layout, uploaded to the bucket; the
staging table `<dataset_id>_staging.<table_id>` is an external BigQuery table over
them, created by basedosdados the first time.

GCS has no atomic rename: new files are uploaded first (named by content, so an
identical re-upload is a no-op) and only then are the files they replace deleted.
A dump killed half-way leaves the previous data in place, possibly beside part of the
new files, which the next run of the same dump replaces.
"""

import logging
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from pipelines.constants import constants
from pipelines.utils.datalake.base import (
    Datalake,
    StagedData,
    validate_materialization_mode,
)
from pipelines.utils.reports import DataReport

logger = logging.getLogger(__name__)


class BigQueryDatalake(Datalake):
    """GCS bucket + BigQuery projects of the office, used through `basedosdados`.

    Args:
        bucket_name: the bucket of staging files.
        dev_project: BigQuery project of `materialization_mode="dev"`.
        prod_project: BigQuery project of `materialization_mode="prod"`.
    """

    name = "bigquery"

    def __init__(
        self,
        bucket_name: str = constants.GCS_BUCKET.value,
        dev_project: str = constants.BIGQUERY_PROJECT_DEV.value,
        prod_project: str = constants.BIGQUERY_PROJECT_PROD.value,
    ) -> None:
        self.bucket_name = bucket_name
        self.dev_project = dev_project
        self.prod_project = prod_project

    def scratch_dir(self) -> Path:
        scratch = Path(tempfile.gettempdir()) / "pipelines-scratch"
        scratch.mkdir(parents=True, exist_ok=True)
        return scratch

    def publish(self, staged: StagedData) -> DataReport:
        import basedosdados as bd

        prefix = f"staging/{staged.dataset_id}/{staged.table_id}"
        if staged.files == 0:
            logger.warning("Nothing to publish for %s: the dump read no rows.", prefix)
        else:
            storage = bd.Storage(
                staged.dataset_id, staged.table_id, bucket_name=self.bucket_name
            )
            before = {
                blob.name for blob in storage.bucket.list_blobs(prefix=f"{prefix}/")
            }
            storage.upload(str(staged.folder), mode="staging", if_exists="replace")
            uploaded = {
                f"{prefix}/{path.relative_to(staged.folder).as_posix()}"
                for path in staged.folder.rglob("*.parquet")
            }
            for name in sorted(_replaced(before, uploaded, staged, prefix)):
                storage.bucket.blob(name).delete()
            bd.Table(
                staged.dataset_id, staged.table_id, bucket_name=self.bucket_name
            ).create(
                path=str(staged.folder),
                source_format="parquet",
                if_table_exists="pass",
                if_storage_data_exists="pass",
            )
        return DataReport(
            step="staging",
            table=f"{staged.dataset_id}_staging.{staged.table_id}",
            location=f"gs://{self.bucket_name}/{prefix}",
            rows=self.count_staging_rows(staged.dataset_id, staged.table_id),
            details={"written": staged.rows, "dump_mode": staged.dump_mode},
        )

    def last_partition_date(self, dataset_id: str, table_id: str) -> date | None:
        import basedosdados as bd

        storage = bd.Storage(dataset_id, table_id, bucket_name=self.bucket_name)
        days = {
            part.split("=", 1)[1]
            for blob in storage.bucket.list_blobs(
                prefix=f"staging/{dataset_id}/{table_id}/"
            )
            for part in blob.name.split("/")
            if part.startswith("data_particao=")
        }
        return max((date.fromisoformat(day) for day in days), default=None)

    def count_staging_rows(self, dataset_id: str, table_id: str) -> int:
        rows = self.query(
            f"select count(*) as n from `{self.dev_project}.{dataset_id}_staging.{table_id}`"
        )
        return int(rows[0]["n"])

    def query(self, sql: str) -> list[dict[str, Any]]:
        import basedosdados as bd

        frame = bd.read_sql(sql, billing_project_id=self.dev_project)
        return frame.to_dict("records")

    def materialized_table(
        self, dataset_id: str, table_id: str, materialization_mode: str
    ) -> str:
        validate_materialization_mode(materialization_mode)
        project = (
            self.dev_project if materialization_mode == "dev" else self.prod_project
        )
        return f"`{project}.{dataset_id}.{table_id}`"

    @property
    def warehouse_location(self) -> str:
        return f"bigquery://{self.prod_project} (dev: {self.dev_project})"


def _replaced(
    before: set[str], uploaded: set[str], staged: StagedData, prefix: str
) -> set[str]:
    """Files the new dump replaces: all others (overwrite) or those of its partitions."""
    stale = before - uploaded
    if staged.dump_mode == "overwrite":
        return stale
    if not staged.is_partitioned:
        return set()
    folders = tuple(f"{prefix}/{partition}/" for partition in staged.partitions)
    return {name for name in stale if name.startswith(folders)}
