"""Partition columns derived from a date column: ano_particao, mes_particao, data_particao.

A row whose date is NULL, cannot be parsed or does not exist (`2023-02-30`) is never
written under a `nan`, `NaT` or `None` folder, nor rolled over into another day:
`add_partition_columns` refuses the data with an error that names the column, how
many rows and the first offending values.
"""

from datetime import datetime

from typing import TYPE_CHECKING

from pipelines.constants import constants
from pipelines.utils.exceptions import PartitionValueError

if TYPE_CHECKING:
    import pyarrow as pa

PARTITION_COLUMNS: tuple[str, ...] = constants.PARTITION_COLUMNS.value
# Time zone in which the date of a zone-aware timestamp is taken.
PARTITION_TIMEZONE = constants.DEFAULT_TIMEZONE.value


def add_partition_columns(
    table: "pa.Table", date_column: str, date_format: str | None = None
) -> "pa.Table":
    """Adds `ano_particao`, `mes_particao` and `data_particao` from a date column.

    Args:
        table: the data; it keeps all its columns.
        date_column: a date, timestamp or text column of `table`.
        date_format: `strptime` format for a text column (e.g. `"%d/%m/%Y"`); text
            columns without it are read as ISO 8601 (`YYYY-MM-DD[ HH:MM:SS]`).

    Returns:
        The table with the three partition columns appended (int32, int32, string).

    Raises:
        PartitionValueError: the column is missing, or some rows have no date.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if date_column not in table.column_names:
        raise PartitionValueError(
            f"Partition column {date_column!r} is not in the data; its columns are "
            f"{table.column_names!r}. Pass one of them as the partition column."
        )
    dates = _to_date32(table.column(date_column), date_column, date_format)
    # NOTE: partition columns already in the data (a table exported with them) are
    # derived again from the date column, so each row's folder matches its date.
    table = table.drop_columns(
        [c for c in PARTITION_COLUMNS if c in table.column_names]
    )
    invalid = pc.is_null(dates)
    missing = pc.sum(invalid).as_py() or 0
    if missing:
        original = table.column(date_column)
        positions = pc.indices_nonzero(invalid).to_pylist()[:5]
        examples = [original[i].as_py() for i in positions]
        raise PartitionValueError(
            f"Partition column {date_column!r} has {missing} row(s) with no valid date "
            f"(first rows {positions!r}, values {examples!r}); a partition folder "
            "cannot be named after a missing date. Filter those rows out in the "
            "query, fill them, or choose another partition column"
            + ("" if date_format else ", or pass partition_date_format")
            + "."
        )
    return (
        table.append_column("ano_particao", pc.cast(pc.year(dates), pa.int32()))
        .append_column("mes_particao", pc.cast(pc.month(dates), pa.int32()))
        .append_column("data_particao", pc.strftime(dates, format="%Y-%m-%d"))
    )


def _to_date32(column: "pa.ChunkedArray", name: str, date_format: str | None):
    """Dates of a column, NULL where the value is missing or cannot be parsed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_date(kind):
        return pc.cast(column, pa.date32())
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            column = pc.local_timestamp(
                pc.cast(column, pa.timestamp(kind.unit, PARTITION_TIMEZONE))
            )
        return pc.cast(column, pa.date32())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pc.utf8_trim_whitespace(column)
        if not date_format:
            # ISO 8601: the date part of `YYYY-MM-DD[ HH:MM:SS]`.
            text, date_format = pc.utf8_slice_codeunits(text, 0, 10), "%Y-%m-%d"
        return pc.cast(_parse_text_dates(text, date_format), pa.date32())
    raise PartitionValueError(
        f"Partition column {name!r} has type {kind}; expected a date, a timestamp or "
        "text holding dates. Choose a date column as the partition column."
    )


def _parse_text_dates(text: "pa.ChunkedArray", date_format: str) -> "pa.ChunkedArray":
    """Timestamps of a text column; NULL where a value does not match or does not exist.

    Arrow's `strptime` rolls impossible dates over (`2023-02-30` becomes 2023-03-02),
    which would file a row under the wrong day. A parsed value whose text differs
    from its re-formatted date (not zero-padded, or rolled over) is checked again
    with Python's strict `strptime`; only those distinct values go through Python.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    parsed = pc.strptime(text, format=date_format, unit="s", error_is_null=True)
    reformatted = pc.strftime(parsed, format=date_format)
    suspicious = pc.filter(text, pc.not_equal(reformatted, text))
    impossible = []
    for value in pc.unique(suspicious).to_pylist():
        try:
            datetime.strptime(value, date_format)
        except ValueError:
            impossible.append(value)
    if not impossible:
        return parsed
    is_impossible = pc.is_in(text, value_set=pa.array(impossible, pa.string()))
    return pc.if_else(is_impossible, pa.scalar(None, parsed.type), parsed)
