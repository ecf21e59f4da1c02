"""Tasks of the dump_url flow: fetch a file, then load it into the datalake's staging."""

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import prefect
from prefect import task

from pipelines.utils.exceptions import InvalidParameterError
from pipelines.utils.reports import DataReport

if TYPE_CHECKING:
    import pyarrow as pa


@task(checkpoint=False)
def download_data_to_file(url: str, timeout_seconds: float = 60.0) -> str:
    """Downloads `url` (http/https, `file://` or a local path) to a temporary file.

    Reads: the URL. Writes: one file in a fresh temporary folder. Safe to re-run.

    Args:
        url: where the data is.
        timeout_seconds: longest wait for the server to connect or send data.

    Returns:
        The path of the local copy.

    Raises:
        DownloadError: HTTP error, HTML page instead of data, timeout, truncation.
    """
    from pipelines.utils.dump_url.download import download_to

    logger = prefect.context.get("logger")
    logger.info("Downloading %r", url)
    folder = Path(tempfile.mkdtemp(prefix="dump_url-"))
    try:
        path = download_to(url, folder / "data", timeout_seconds=timeout_seconds)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    logger.info("Downloaded %r: %.1f kB", url, path.stat().st_size / 1024)
    return str(path)


@task(checkpoint=False)
def dump_file_to_datalake(  # pylint: disable=too-many-arguments
    path: str,
    dataset_id: str,
    table_id: str,
    *,
    dump_mode: str = "append",
    partition_columns: str | list[str] | None = None,
    partition_date_format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
) -> DataReport:
    """Loads a delimited file into `<dataset_id>_staging.<table_id>`.

    Reads: the local file from `download_data_to_file`. Writes: the table's staging
    files (`staging/<dataset_id>/<table_id>/...`), all at once when the whole file
    was read; on any error nothing is written. Re-running with the same file is safe:
    `overwrite` replaces the table, `append` replaces the partitions it writes.

    Args:
        path: the local file.
        dataset_id: the dataset, e.g. `adm_central_atendimento_1746`.
        table_id: the table, e.g. `chamado`.
        dump_mode: `append` or `overwrite`.
        partition_columns: the date column that `ano_particao`, `mes_particao` and
            `data_particao` derive from (one column, or a list holding one), named
            as in the file's header or as cleaned (`Data` or `data`).
        partition_date_format: `strptime` format when that column is text that is
            not ISO 8601, e.g. `"%d/%m/%Y"`.
        encoding: the file's encoding; detected when empty.
        delimiter: the field separator; detected when empty.
        decimal: the decimal separator, `.` or `,`; detected when empty.

    Returns:
        Where the data landed and how many rows the table holds.
    """
    from pipelines.utils.datalake import get_datalake
    from pipelines.utils.dump_url.columns import clean_column_name

    logger = prefect.context.get("logger")
    file = Path(path)
    try:
        date_column = _single_partition_column(partition_columns)
        table = _read_file(
            file, encoding=encoding, delimiter=delimiter, decimal=decimal, logger=logger
        )
        if date_column and date_column not in table.column_names:
            date_column = clean_column_name(date_column)

        with get_datalake().staging_writer(
            dataset_id,
            table_id,
            dump_mode,
            partition_date_column=date_column,
            partition_date_format=partition_date_format or None,
        ) as writer:
            writer.write(table)
    finally:
        if file.parent.name.startswith("dump_url-"):
            file.unlink(missing_ok=True)
            file.parent.rmdir()
    logger.info(
        "Loaded %d rows into %s (%s); the table now holds %d rows",
        table.num_rows,
        writer.report.table,
        writer.report.location,
        writer.report.rows,
    )
    return writer.report


def _read_file(
    file: Path,
    *,
    encoding: str | None,
    delimiter: str | None,
    decimal: str | None,
    logger: logging.Logger,
) -> "pa.Table":
    """Reads a delimited file, detecting what was not given, and logs its shape."""
    from pipelines.utils.dump_url.reader import detect_format, read_delimited

    file_format = detect_format(
        file,
        encoding=encoding or None,
        delimiter=delimiter or None,
        decimal=decimal or None,
    )
    logger.info(
        "Reading %s as encoding=%r delimiter=%r decimal=%r",
        file.name,
        file_format.encoding,
        file_format.delimiter,
        file_format.decimal,
    )
    table = read_delimited(file, file_format)
    logger.info("Read %d rows, %d columns", table.num_rows, table.num_columns)
    return table


def _single_partition_column(partition_columns: str | list[str] | None) -> str | None:
    if not partition_columns:
        return None
    columns = (
        [part.strip() for part in partition_columns.split(",")]
        if isinstance(partition_columns, str)
        else list(partition_columns)
    )
    if len(columns) != 1:
        raise InvalidParameterError(
            f"partition_columns={partition_columns!r} names {len(columns)} columns; "
            "expected one date column, from which ano_particao, mes_particao and "
            "data_particao are derived."
        )
    return columns[0]
