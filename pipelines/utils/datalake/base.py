"""The datalake interface every backend implements, and the staging writer they share.

Data reaches the datalake through `Datalake.staging_writer()`: batches are written to
a private folder first and published only when the writer closes without error, so a
failed or killed dump leaves what was stored before untouched.

Dump modes:
- `overwrite`: the whole table is replaced by the new data.
- `append`: other partitions are kept; each partition written by this dump replaces
  the same partition (re-running a day does not duplicate it). An unpartitioned table
  gets files named after their content, so writing the same data twice adds nothing.
"""

import hashlib
import shutil
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Union

from pipelines.utils.datalake.partitions import PARTITION_COLUMNS, add_partition_columns
from pipelines.utils.exceptions import InvalidParameterError
from pipelines.utils.reports import DataReport

if TYPE_CHECKING:
    import pyarrow as pa

    ArrowData = Union["pa.Table", "pa.RecordBatch"]

DUMP_MODES = ("append", "overwrite")
MATERIALIZATION_MODES = ("dev", "prod")


@dataclass
class StagedData:
    """What a writer has put in its private folder, ready to be published."""

    folder: Path
    dataset_id: str
    table_id: str
    dump_mode: str
    is_partitioned: bool
    rows: int = 0
    files: int = 0
    partitions: set[str] = field(default_factory=set)


class StagingWriter:
    """Writes batches of one table to a private folder, then publishes them at once.

    Use as a context manager; leaving it with an exception discards everything it
    wrote. The report of what was published is in `report` afterwards.

    Args:
        datalake: the backend that publishes the data.
        dataset_id: the dataset, e.g. `adm_central_atendimento_1746`.
        table_id: the table, e.g. `chamado`.
        dump_mode: `append` or `overwrite` (see the module docstring).
        partition_date_column: a date column to derive `ano_particao`,
            `mes_particao` and `data_particao` from; None for no partitions.
        partition_date_format: `strptime` format when that column is text.
    """

    def __init__(
        self,
        datalake: "Datalake",
        dataset_id: str,
        table_id: str,
        dump_mode: str,
        *,
        partition_date_column: str | None = None,
        partition_date_format: str | None = None,
    ) -> None:
        validate_identifier("dataset_id", dataset_id)
        validate_identifier("table_id", table_id)
        if dump_mode not in DUMP_MODES:
            raise InvalidParameterError(
                f"dump_mode={dump_mode!r} is not supported; expected one of {DUMP_MODES!r}."
            )
        self.datalake = datalake
        self.partition_date_column = partition_date_column or None
        self.partition_date_format = partition_date_format or None
        self.report: DataReport | None = None
        # NOTE: not tempfile.mkdtemp, whose 0700 mode would become the published
        # table's mode after an overwrite swaps this folder in.
        self._folder = datalake.scratch_dir() / f"staging-{uuid.uuid4().hex}"
        self._folder.mkdir()
        self.staged = StagedData(
            folder=self._folder,
            dataset_id=dataset_id,
            table_id=table_id,
            dump_mode=dump_mode,
            is_partitioned=self.partition_date_column is not None,
        )

    def write(self, data: "ArrowData") -> None:
        """Adds a batch (an Arrow table or record batch) to the table being written."""
        import pyarrow as pa
        import pyarrow.compute as pc

        table = (
            pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
        )
        if table.num_rows == 0:
            return
        if not self.staged.is_partitioned:
            self._write_file(table, self._folder)
            return
        table = add_partition_columns(
            table, self.partition_date_column, self.partition_date_format
        )
        for day in pc.unique(table.column("data_particao")).to_pylist():
            rows = table.filter(pc.equal(table.column("data_particao"), day))
            first = rows.slice(0, 1).to_pylist()[0]
            folder = self._folder.joinpath(
                *(f"{name}={first[name]}" for name in PARTITION_COLUMNS)
            )
            self._write_file(rows.drop_columns(list(PARTITION_COLUMNS)), folder)
            self.staged.partitions.add(str(folder.relative_to(self._folder)))

    def _write_file(self, table: "pa.Table", folder: Path) -> None:
        import pyarrow.parquet as pq

        folder.mkdir(parents=True, exist_ok=True)
        scratch = folder / f".writing-{uuid.uuid4().hex}"
        pq.write_table(table, scratch, compression="zstd")
        # NOTE: content-addressed names make re-running an identical dump a no-op;
        # identical batches within one dump get numbered names, so none is lost.
        digest = hashlib.sha256(scratch.read_bytes()).hexdigest()[:20]
        name, copy = f"part-{digest}.parquet", 1
        while (folder / name).exists():
            copy += 1
            name = f"part-{digest}-{copy}.parquet"
        scratch.rename(folder / name)
        self.staged.rows += table.num_rows
        self.staged.files += 1

    def __enter__(self) -> "StagingWriter":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.report = self.datalake.publish(self.staged)
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)


class Datalake(ABC):
    """Where flows land data: staging files plus a warehouse that queries them."""

    name: str = "datalake"

    def staging_writer(
        self,
        dataset_id: str,
        table_id: str,
        dump_mode: str = "append",
        *,
        partition_date_column: str | None = None,
        partition_date_format: str | None = None,
    ) -> StagingWriter:
        """Opens a writer for `<dataset_id>_staging.<table_id>` (see `StagingWriter`)."""
        return StagingWriter(
            self,
            dataset_id,
            table_id,
            dump_mode,
            partition_date_column=partition_date_column,
            partition_date_format=partition_date_format,
        )

    @abstractmethod
    def scratch_dir(self) -> Path:
        """A local folder for files being written, on the same disk as the data."""

    @abstractmethod
    def publish(self, staged: StagedData) -> DataReport:
        """Makes staged data visible at once, replacing what the dump mode says."""

    @abstractmethod
    def last_partition_date(self, dataset_id: str, table_id: str) -> date | None:
        """The newest `data_particao` already stored for a table, None if none."""

    @abstractmethod
    def count_staging_rows(self, dataset_id: str, table_id: str) -> int:
        """How many rows `<dataset_id>_staging.<table_id>` holds now."""

    @abstractmethod
    def query(self, sql: str) -> list[dict[str, Any]]:
        """Runs a read-only SQL query on the warehouse; rows as dicts."""

    @abstractmethod
    def materialized_table(
        self, dataset_id: str, table_id: str, materialization_mode: str
    ) -> str:
        """The name to query a table dbt materialized in `dev` or `prod` mode."""

    @property
    @abstractmethod
    def warehouse_location(self) -> str:
        """Where the warehouse is (a file, or a cloud project), for reports."""

    def dbt_environment(self) -> dict[str, str]:
        """Environment variables the dbt profile of this backend reads."""
        return {}


def validate_identifier(parameter: str, value: str) -> None:
    """Refuses dataset and table ids that are not lowercase snake_case.

    Raises:
        InvalidParameterError: the value is empty or has other characters.
    """
    if (
        not value
        or not value.replace("_", "").isalnum()
        or value != value.lower()
        or (not value.isascii() or not value[0].isalpha())
    ):
        raise InvalidParameterError(
            f"{parameter}={value!r} is not a valid identifier; expected lowercase "
            "snake_case ASCII starting with a letter, e.g. 'adm_central_atendimento_1746'."
        )


def validate_materialization_mode(materialization_mode: str) -> None:
    """Refuses modes other than `dev` and `prod`, which never share a schema.

    Raises:
        InvalidParameterError: the mode is not `dev` nor `prod`.
    """
    if materialization_mode not in MATERIALIZATION_MODES:
        raise InvalidParameterError(
            f"materialization_mode={materialization_mode!r} is not supported; expected "
            f"one of {MATERIALIZATION_MODES!r}."
        )
