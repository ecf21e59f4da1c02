"""The embedded datalake: Parquet files in the production bucket layout + DuckDB.

Layout under the root folder (`PIPELINES_DATALAKE_ROOT`):

    staging/<dataset_id>/<table_id>/
        ano_particao=2023/mes_particao=4/data_particao=2023-04-01/part-*.parquet
    warehouse.duckdb   <dataset_id>_staging.<table_id> are views over those files;
                       dbt materializes <dataset_id>.<table_id> (prod) and
                       <dataset_id>_dev.<table_id> (dev) in the same file.

Publishing swaps folders with renames on one disk. Before a folder is replaced it is
moved to `.trash/<pid>-<id>/` with a note of where it came from; a process killed
between the two renames leaves that note, and the next `LocalDatalake` puts the folder
back (unless the process that parked it is still running: it is mid-swap).
"""

import logging
import os
import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from pipelines.utils.datalake.base import (
    Datalake,
    StagedData,
    validate_materialization_mode,
)
from pipelines.utils.datalake.partitions import PARTITION_COLUMNS
from pipelines.utils.exceptions import DatalakeWriteError
from pipelines.utils.reports import DataReport

logger = logging.getLogger(__name__)

WAREHOUSE_FILE = "warehouse.duckdb"
HIVE_TYPES = {
    "ano_particao": "INTEGER",
    "mes_particao": "INTEGER",
    "data_particao": "DATE",
}


class LocalDatalake(Datalake):
    """Parquet staging files and a DuckDB warehouse in one local folder.

    Args:
        root: the datalake folder; created if missing.
    """

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._restore_interrupted_swaps()

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB database file."""
        return self.root / WAREHOUSE_FILE

    def table_dir(self, dataset_id: str, table_id: str) -> Path:
        """Folder of a table's staging files."""
        return self.root / "staging" / dataset_id / table_id

    def scratch_dir(self) -> Path:
        scratch = self.root / ".scratch"
        scratch.mkdir(parents=True, exist_ok=True)
        return scratch

    def publish(self, staged: StagedData) -> DataReport:
        target = self.table_dir(staged.dataset_id, staged.table_id)
        if staged.files and staged.dump_mode == "append":
            self._check_same_layout(staged, target)
        if staged.files == 0:
            logger.warning(
                "Nothing to publish for %s.%s: the dump read no rows; the table keeps "
                "its previous data.",
                staged.dataset_id,
                staged.table_id,
            )
        elif staged.dump_mode == "overwrite":
            self._swap(staged.folder, target)
        elif staged.is_partitioned:
            for partition in sorted(staged.partitions):
                self._swap(staged.folder / partition, target / partition)
        else:
            target.mkdir(parents=True, exist_ok=True)
            for file in staged.folder.glob("*.parquet"):
                file.replace(target / file.name)
        if target.exists():
            self.refresh_staging_view(staged.dataset_id, staged.table_id)
        return DataReport(
            step="staging",
            table=f"{staged.dataset_id}_staging.{staged.table_id}",
            location=str(target),
            rows=self.count_staging_rows(staged.dataset_id, staged.table_id),
            details={
                "written": staged.rows,
                "dump_mode": staged.dump_mode,
                "partitions": len(staged.partitions),
                "warehouse": str(self.warehouse_path),
            },
        )

    def refresh_staging_view(self, dataset_id: str, table_id: str) -> None:
        """(Re)creates the DuckDB view `<dataset_id>_staging.<table_id>` over the files."""
        import duckdb

        folder = self.table_dir(dataset_id, table_id)
        is_partitioned = any(folder.glob(f"{PARTITION_COLUMNS[0]}=*"))
        pattern = str(folder / "**" / "*.parquet").replace("'", "''")
        options = "union_by_name = true"
        if is_partitioned:
            types = ", ".join(f"'{name}': {kind}" for name, kind in HIVE_TYPES.items())
            options += f", hive_partitioning = true, hive_types = {{{types}}}"
        else:
            options += ", hive_partitioning = false"
        schema = f'"{dataset_id}_staging"'
        with duckdb.connect(str(self.warehouse_path)) as connection:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            connection.execute(
                f'CREATE OR REPLACE VIEW {schema}."{table_id}" AS '
                f"SELECT * FROM read_parquet('{pattern}', {options})"
            )

    def last_partition_date(self, dataset_id: str, table_id: str) -> date | None:
        folder = self.table_dir(dataset_id, table_id)
        days = [
            date.fromisoformat(path.name.split("=", 1)[1])
            for path in folder.glob("*/*/data_particao=*")
            if any(path.glob("*.parquet"))
        ]
        return max(days, default=None)

    def count_staging_rows(self, dataset_id: str, table_id: str) -> int:
        import pyarrow.parquet as pq

        folder = self.table_dir(dataset_id, table_id)
        return sum(
            pq.ParquetFile(path).metadata.num_rows for path in folder.rglob("*.parquet")
        )

    def query(self, sql: str) -> list[dict[str, Any]]:
        import duckdb

        # NOTE: same configuration as dbt-duckdb, whose connection may still be open
        # in this process; DuckDB refuses a second one with other settings.
        with duckdb.connect(str(self.warehouse_path)) as connection:
            cursor = connection.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def materialized_table(
        self, dataset_id: str, table_id: str, materialization_mode: str
    ) -> str:
        validate_materialization_mode(materialization_mode)
        suffix = "_dev" if materialization_mode == "dev" else ""
        return f"{dataset_id}{suffix}.{table_id}"

    @property
    def warehouse_location(self) -> str:
        return str(self.warehouse_path)

    def dbt_environment(self) -> dict[str, str]:
        return {"PIPELINES_DUCKDB_PATH": str(self.warehouse_path)}

    def _check_same_layout(self, staged: StagedData, target: Path) -> None:
        """Refuses to append partitioned data to an unpartitioned table, or the reverse.

        Raises:
            DatalakeWriteError: the layouts differ; nothing was published.
        """
        if not target.exists():
            return
        has_partitions = any(target.glob(f"{PARTITION_COLUMNS[0]}=*"))
        has_loose_files = any(target.glob("*.parquet"))
        if (staged.is_partitioned and has_loose_files) or (
            not staged.is_partitioned and has_partitions
        ):
            new = "partitioned" if staged.is_partitioned else "unpartitioned"
            old = "unpartitioned" if staged.is_partitioned else "partitioned"
            raise DatalakeWriteError(
                f"Cannot append {new} data to {staged.dataset_id}_staging."
                f"{staged.table_id}, which is {old} ({target}); the table is untouched. "
                "Use the same partition column as before, or dump_mode='overwrite' to "
                "change its layout."
            )

    def _swap(self, new: Path, target: Path) -> None:
        """Puts `new` where `target` is, keeping `target` recoverable until done."""
        target.parent.mkdir(parents=True, exist_ok=True)
        parked = None
        if target.exists():
            parked = self.root / ".trash" / f"{os.getpid()}-{uuid.uuid4().hex}"
            parked.mkdir(parents=True)
            (parked / "origin").write_text(str(target))
            target.rename(parked / "data")
        try:
            new.rename(target)
        except BaseException:
            if parked is not None and not target.exists():
                (parked / "data").rename(target)
                shutil.rmtree(parked, ignore_errors=True)
            raise
        if parked is not None:
            shutil.rmtree(parked, ignore_errors=True)

    def _restore_interrupted_swaps(self) -> None:
        trash = self.root / ".trash"
        for parked in trash.glob("*") if trash.exists() else []:
            if _is_running(parked.name.split("-", 1)[0]):
                continue  # a live process is between its two renames
            origin_file, data = parked / "origin", parked / "data"
            if origin_file.exists() and data.exists():
                origin = Path(origin_file.read_text())
                if not origin.exists():
                    logger.warning(
                        "Restoring %s, left aside by an interrupted dump.", origin
                    )
                    data.rename(origin)
            shutil.rmtree(parked, ignore_errors=True)


def _is_running(pid: str) -> bool:
    """Whether the process of a `.trash` folder name (`<pid>-<id>`) is alive."""
    if not pid.isdigit() or int(pid) == 0:
        return False
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True
