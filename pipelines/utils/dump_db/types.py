"""Column types: what each database says about a query's columns, mapped to Arrow.

Readers describe a query before reading a row, so the Arrow schema is fixed up front:
an integer column full of NULLs stays an integer, a decimal keeps its precision and
scale, a zone-aware timestamp is stored as UTC with its zone and a naive one stays
naive. Types without a faithful Arrow counterpart are stored as text (and a warning
says how to avoid it) or refused with an error that says how to cast them.
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from pipelines.utils.exceptions import ColumnValueError, UnsupportedColumnTypeError

if TYPE_CHECKING:
    import pyarrow as pa


class Conversion(Enum):
    """How the values a driver returns become the column's Arrow values."""

    AS_IS = "as_is"
    STORAGE = "storage"  # an Arrow extension type kept as its storage (json, text)
    DECIMAL_FROM_TEXT = "decimal_from_text"  # PostgreSQL numeric, sent as text by ADBC
    UUID_TO_TEXT = "uuid_to_text"  # 16 bytes to the canonical 8-4-4-4-12 text
    TO_TEXT = "to_text"  # Python values to `str(value)`
    BOOL_FROM_INT = "bool_from_int"  # MySQL BOOLEAN, which is TINYINT(1)


@dataclass(frozen=True)
class SourceColumn:
    """One column of a query's result and how it is stored in the datalake.

    Attributes:
        name: the column name, as the database returns it.
        source_type: the database's type, for messages (`numeric(12,2)`, `DATETIME`).
        arrow_type: the Arrow type the column is stored as.
        conversion: how driver values become Arrow values.
        is_text_fallback: no Arrow type keeps the values whole, so they are stored
            as text; the dump logs a warning that says how to cast the column.
        is_selected_as_utc: the database is asked for the column converted to UTC,
            because the driver would drop the zone (SQL Server, Oracle).
        is_selected_as_text: the database is asked for the column as text, which the
            reader parses faster than the driver's own conversion (PostgreSQL
            numerics: ADBC turns their binary form into text at nearly 3x the cost of
            the server's `::text`).
    """

    name: str
    source_type: str
    arrow_type: Any
    conversion: Conversion = Conversion.AS_IS
    is_text_fallback: bool = False
    is_selected_as_utc: bool = False
    is_selected_as_text: bool = False


def arrow_schema(columns: Sequence[SourceColumn]) -> "pa.Schema":
    """The Arrow schema of a query's result, without driver metadata."""
    import pyarrow as pa

    return pa.schema([pa.field(column.name, column.arrow_type) for column in columns])


def decimal_type(precision: int, scale: int) -> Any:
    """`decimal128` up to 38 digits, `decimal256` up to 76, None beyond."""
    import pyarrow as pa

    if not 0 < precision <= 76 or not 0 <= scale <= precision:
        return None
    return (
        pa.decimal128(precision, scale)
        if precision <= 38
        else pa.decimal256(precision, scale)
    )


def _text_column(name: str, source_type: str, conversion: Conversion) -> SourceColumn:
    import pyarrow as pa

    return SourceColumn(
        name, source_type, pa.string(), conversion, is_text_fallback=True
    )


def _unsupported(
    name: str, source_type: str, cast_hint: str
) -> UnsupportedColumnTypeError:
    return UnsupportedColumnTypeError(
        f"Column {name!r} has type {source_type!r}, which Parquet cannot store "
        f"faithfully. Convert it in execute_query, e.g. {cast_hint}, or leave the "
        "column out."
    )


# ---------------------------------------------------------------------------------
# PostgreSQL: the ADBC driver describes the query with an Arrow schema


def postgres_columns(schema: "pa.Schema") -> list[SourceColumn]:
    """Columns of a PostgreSQL query from the Arrow schema the ADBC driver describes.

    Args:
        schema: `cursor.adbc_execute_schema(query)`; fields carry the PostgreSQL
            type in their `POSTGRESQL:type` metadata.

    Returns:
        One `SourceColumn` per field.

    Raises:
        UnsupportedColumnTypeError: a column is an interval or a binary-only type.
    """
    return [_postgres_column(field) for field in schema]


def _postgres_column(field: "pa.Field") -> SourceColumn:
    import pyarrow as pa

    metadata = field.metadata or {}
    type_name = metadata.get(b"POSTGRESQL:type", b"").decode() or str(field.type)
    kind = field.type
    if type_name == "numeric":
        return _postgres_numeric(
            field.name, int(metadata.get(b"POSTGRESQL:typmod", b"-1"))
        )
    if isinstance(kind, pa.BaseExtensionType):
        extension = kind.extension_name
        if extension == "arrow.uuid":
            return SourceColumn(
                field.name, type_name, pa.string(), Conversion.UUID_TO_TEXT
            )
        if extension == "arrow.json":
            return SourceColumn(field.name, type_name, pa.string(), Conversion.STORAGE)
        if pa.types.is_string(kind.storage_type):
            return _text_column(field.name, type_name, Conversion.STORAGE)
        raise _unsupported(field.name, type_name, f'"{field.name}"::text')
    if pa.types.is_interval(kind) or pa.types.is_duration(kind):
        raise _unsupported(field.name, type_name, f'EXTRACT(EPOCH FROM "{field.name}")')
    return SourceColumn(field.name, type_name, kind)


def _postgres_numeric(name: str, typmod: int) -> SourceColumn:
    # NOTE: PostgreSQL packs numeric(p, s) as ((p << 16) | s) + 4; -1 means no limits.
    if typmod >= 4:
        precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
        kind = decimal_type(precision, scale)
        if kind is not None:
            return SourceColumn(
                name,
                f"numeric({precision},{scale})",
                kind,
                Conversion.DECIMAL_FROM_TEXT,
                is_selected_as_text=True,
            )
    return _text_column(name, "numeric", Conversion.STORAGE)


def normalize_postgres_batch(
    batch: "pa.RecordBatch", columns: Sequence[SourceColumn]
) -> "pa.RecordBatch":
    """Turns a batch as ADBC returns it into the columns' Arrow types.

    Raises:
        ColumnValueError: a numeric holds `NaN` or infinity, which decimals cannot.
    """
    import pyarrow as pa

    arrays = []
    for index, column in enumerate(columns):
        array = batch.column(index)
        if isinstance(array, pa.ExtensionArray):
            array = array.storage
        if column.conversion is Conversion.DECIMAL_FROM_TEXT:
            array = _cast_decimal(array, column)
        elif column.conversion is Conversion.UUID_TO_TEXT:
            values = array.to_pylist()
            array = pa.array(
                [
                    None if value is None else str(uuid.UUID(bytes=value))
                    for value in values
                ],
                pa.string(),
            )
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(columns))


def _cast_decimal(array: "pa.Array", column: SourceColumn) -> "pa.Array":
    import pyarrow as pa

    try:
        return array.cast(column.arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ColumnValueError(
            f"Column {column.name!r} ({column.source_type}) holds a value a decimal "
            f"cannot store ({exc}); PostgreSQL numerics may hold 'NaN' or infinity. "
            f"Replace them in execute_query, e.g. NULLIF(\"{column.name}\", 'NaN')."
        ) from exc


# ---------------------------------------------------------------------------------
# Row-based drivers (MySQL/MariaDB, SQL Server, Oracle): rows to Arrow columns


def rows_to_record_batch(
    rows: Sequence[Sequence[Any]], columns: Sequence[SourceColumn]
) -> "pa.RecordBatch":
    """Builds a record batch with the columns' explicit types from driver rows.

    Args:
        rows: tuples as the DB-API cursor returns them, in column order.
        columns: the described columns; their Arrow types are used as they are, so a
            column whose values are all NULL keeps its type.

    Returns:
        The batch, with the schema of `arrow_schema(columns)`.

    Raises:
        ColumnValueError: a value does not fit its column's type.
    """
    import pyarrow as pa

    values_by_column = list(zip(*rows)) if rows else [()] * len(columns)
    arrays = [
        _values_to_array(values, column)
        for values, column in zip(values_by_column, columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(columns))


def _values_to_array(values: Sequence[Any], column: SourceColumn) -> "pa.Array":
    import pyarrow as pa

    try:
        if column.conversion is Conversion.TO_TEXT:
            return pa.array(
                [None if v is None else str(v) for v in values], pa.string()
            )
        if column.conversion is Conversion.BOOL_FROM_INT:
            return pa.array(values, pa.int64()).cast(pa.bool_())
        return pa.array(values, column.arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise ColumnValueError(
            f"Column {column.name!r} ({column.source_type}) has a value that does not "
            f"fit {column.arrow_type} ({exc}). Cast the column in execute_query to a "
            "type that holds it, or tell @pipeliners which type the database reported."
        ) from exc


# MySQL/MariaDB: pymysql's result fields (type code, length, scale, flags, charset)


def mysql_columns(fields: Sequence[Any]) -> list[SourceColumn]:
    """Columns from pymysql's result fields (`name`, `type_code`, `length`, `scale`,
    `flags`, `charsetnr`)."""
    return [
        mysql_column(
            field.name,
            field.type_code,
            field.length,
            scale=field.scale,
            flags=field.flags,
            charset=field.charsetnr,
        )
        for field in fields
    ]


MYSQL_TYPE_NAMES = {
    0: "DECIMAL",
    1: "TINYINT",
    2: "SMALLINT",
    3: "INT",
    4: "FLOAT",
    5: "DOUBLE",
    6: "NULL",
    7: "TIMESTAMP",
    8: "BIGINT",
    9: "MEDIUMINT",
    10: "DATE",
    11: "TIME",
    12: "DATETIME",
    13: "YEAR",
    14: "DATE",
    15: "VARCHAR",
    16: "BIT",
    245: "JSON",
    246: "DECIMAL",
    247: "ENUM",
    248: "SET",
    249: "TINYBLOB",
    250: "MEDIUMBLOB",
    251: "LONGBLOB",
    252: "BLOB",
    253: "VARCHAR",
    254: "CHAR",
    255: "GEOMETRY",
}
MYSQL_UNSIGNED_FLAG = 32
MYSQL_BINARY_CHARSET = 63
_MYSQL_TEXT_TYPES = {"VARCHAR", "CHAR", "ENUM", "SET", "JSON"}
_MYSQL_BLOB_TYPES = {"TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BLOB"}


def mysql_column(  # pylint: disable=too-many-return-statements  # one per type family
    name: str,
    type_code: int,
    length: int,
    *,
    scale: int,
    flags: int,
    charset: int,
) -> SourceColumn:
    """Maps a MySQL/MariaDB result field to a column.

    `TINYINT(1)` (MySQL's BOOLEAN) becomes a boolean. `TIMESTAMP` values are read
    in a UTC session, so they are stored as UTC instants; `DATETIME` stays naive.

    Args:
        name: the column name.
        type_code: the protocol's field type (pymysql's `FIELD_TYPE`).
        length: the field's display length (digits for numbers).
        scale: decimals after the point.
        flags: the field's flags (unsigned, binary, ...).
        charset: the field's character set number; 63 is binary.

    Returns:
        The column.

    Raises:
        UnsupportedColumnTypeError: a GEOMETRY or unknown type.
    """
    import pyarrow as pa

    type_name = MYSQL_TYPE_NAMES.get(type_code, f"type code {type_code}")
    is_unsigned = bool(flags & MYSQL_UNSIGNED_FLAG)
    source_type = f"{type_name}{' UNSIGNED' if is_unsigned else ''}"
    integers = {
        "TINYINT": (pa.int8(), pa.uint8()),
        "SMALLINT": (pa.int16(), pa.uint16()),
        "MEDIUMINT": (pa.int32(), pa.int32()),
        "INT": (pa.int32(), pa.uint32()),
        "BIGINT": (pa.int64(), pa.uint64()),
    }
    if type_name == "TINYINT" and length == 1 and not is_unsigned:
        return SourceColumn(name, "TINYINT(1)", pa.bool_(), Conversion.BOOL_FROM_INT)
    if type_name in integers:
        return SourceColumn(name, source_type, integers[type_name][is_unsigned])
    if type_name == "DECIMAL":
        # NOTE: the length counts the digits, the point (when scale > 0) and the sign
        # (when signed): DECIMAL(12,2) has length 14.
        precision = length - (1 if scale else 0) - (0 if is_unsigned else 1)
        kind = decimal_type(precision, scale)
        if kind is None:
            return _text_column(name, source_type, Conversion.TO_TEXT)
        return SourceColumn(name, f"DECIMAL({precision},{scale})", kind)
    simple = {
        "FLOAT": pa.float32(),
        "DOUBLE": pa.float64(),
        "DATE": pa.date32(),
        "DATETIME": pa.timestamp("us"),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
        "YEAR": pa.int16(),
        "BIT": pa.binary(),
    }
    if type_name in simple:
        return SourceColumn(name, source_type, simple[type_name])
    if type_name == "TIME":
        return _text_column(name, source_type, Conversion.TO_TEXT)
    if type_name == "NULL":
        return SourceColumn(name, source_type, pa.string())
    if type_name in _MYSQL_TEXT_TYPES | _MYSQL_BLOB_TYPES:
        is_binary = charset == MYSQL_BINARY_CHARSET and type_name != "JSON"
        kind = pa.binary() if is_binary else pa.string()
        return SourceColumn(name, f"{type_name}{' BINARY' if is_binary else ''}", kind)
    raise _unsupported(
        name, source_type, f"ST_AsText(`{name}`) or CAST(`{name}` AS CHAR)"
    )


# SQL Server: `sys.dm_exec_describe_first_result_set` names each column's type

_SQL_SERVER_TYPES = {
    "bit": "bool",
    "tinyint": "uint8",
    "smallint": "int16",
    "int": "int32",
    "bigint": "int64",
    "real": "float32",
    "float": "float64",
    "date": "date32",
    "time": "time64",
    "datetime": "timestamp",
    "datetime2": "timestamp",
    "smalldatetime": "timestamp",
    "datetimeoffset": "timestamp_utc",
    "char": "string",
    "varchar": "string",
    "nchar": "string",
    "nvarchar": "string",
    "text": "string",
    "ntext": "string",
    "xml": "string",
    "binary": "binary",
    "varbinary": "binary",
    "image": "binary",
    "timestamp": "binary",
    "rowversion": "binary",
    "uniqueidentifier": "text",
}
_SQL_SERVER_MONEY = {"money": (19, 4), "smallmoney": (10, 4)}


def sql_server_column(
    name: str, system_type_name: str, precision: int | None, *, scale: int | None
) -> SourceColumn:
    """Maps a SQL Server result column, as `sys.dm_exec_describe_first_result_set`
    describes it, to a column.

    `datetimeoffset` is selected converted to UTC (`SWITCHOFFSET`) and stored as a
    UTC instant; `datetime`/`datetime2` stay naive; `uniqueidentifier` becomes text.

    Args:
        name: the column name.
        system_type_name: e.g. `int`, `decimal(12,2)`, `nvarchar(50)`.
        precision: digits, for decimals.
        scale: digits after the point, for decimals.

    Returns:
        The column.

    Raises:
        UnsupportedColumnTypeError: `sql_variant`, spatial and other CLR types.
    """
    import pyarrow as pa

    base = re.sub(r"\(.*\)$", "", system_type_name.strip().lower()).strip()
    if base in ("decimal", "numeric"):
        kind = decimal_type(int(precision or 0), int(scale or 0))
        if kind is not None:
            return SourceColumn(name, system_type_name, kind)
    if base in _SQL_SERVER_MONEY:
        return SourceColumn(
            name, system_type_name, decimal_type(*_SQL_SERVER_MONEY[base])
        )
    kinds = {
        "bool": pa.bool_(),
        "uint8": pa.uint8(),
        "int16": pa.int16(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "float32": pa.float32(),
        "float64": pa.float64(),
        "date32": pa.date32(),
        "time64": pa.time64("us"),
        "timestamp": pa.timestamp("us"),
        "string": pa.string(),
        "binary": pa.binary(),
    }
    target = _SQL_SERVER_TYPES.get(base)
    if target == "timestamp_utc":
        return SourceColumn(
            name,
            system_type_name,
            pa.timestamp("us", tz="UTC"),
            is_selected_as_utc=True,
        )
    if target == "text":
        return _text_column(name, system_type_name, Conversion.TO_TEXT)
    if target is not None:
        return SourceColumn(name, system_type_name, kinds[target])
    raise _unsupported(name, system_type_name, f"CAST([{name}] AS nvarchar(max))")


# Oracle: python-oracledb's cursor.description (DB type, precision, scale)


def oracle_columns(description: Sequence[Sequence[Any]]) -> list[SourceColumn]:
    """Columns from python-oracledb's `cursor.description`.

    Args:
        description: DB-API 7-item entries; the type is a `DbType`
            (`oracledb.DB_TYPE_NUMBER`, ...), precision and scale at 4 and 5.

    Returns:
        One column per entry.
    """
    return [
        oracle_column(
            entry[0], getattr(entry[1], "name", str(entry[1])), entry[4], scale=entry[5]
        )
        for entry in description
    ]


def oracle_column(  # pylint: disable=too-many-return-statements  # one per type family
    name: str, type_name: str, precision: int | None, *, scale: int | None
) -> SourceColumn:
    """Maps an Oracle result column, as python-oracledb describes it, to a column.

    `NUMBER(p)` is an integer up to 18 digits and a decimal beyond; `NUMBER(p,s)` a
    decimal; `NUMBER` without precision is stored as text (no type keeps every
    value whole). `DATE` carries a time of day in Oracle, so it becomes a naive
    timestamp. `TIMESTAMP WITH [LOCAL] TIME ZONE` is selected with `SYS_EXTRACT_UTC`
    and stored as a UTC instant.

    Args:
        name: the column name.
        type_name: the driver's type name, e.g. `DB_TYPE_NUMBER`.
        precision: digits, for numbers.
        scale: digits after the point; -127 for floating-point numbers.

    Returns:
        The column.

    Raises:
        UnsupportedColumnTypeError: intervals, objects and other types.
    """
    import pyarrow as pa

    short = type_name.removeprefix("DB_TYPE_")
    precision, scale = int(precision or 0), int(scale or 0)
    if short == "NUMBER":
        if scale == -127 and precision > 0:
            return SourceColumn(name, f"FLOAT({precision})", pa.float64())
        if precision == 0 or scale < 0:
            return _text_column(name, "NUMBER", Conversion.TO_TEXT)
        if scale == 0 and precision <= 18:
            return SourceColumn(name, f"NUMBER({precision})", pa.int64())
        return SourceColumn(
            name, f"NUMBER({precision},{scale})", decimal_type(precision, scale)
        )
    if short in ("TIMESTAMP_TZ", "TIMESTAMP_LTZ"):
        return SourceColumn(
            name, short, pa.timestamp("us", tz="UTC"), is_selected_as_utc=True
        )
    simple = {
        "BINARY_FLOAT": pa.float32(),
        "BINARY_DOUBLE": pa.float64(),
        "BINARY_INTEGER": pa.int64(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.timestamp("us"),
        "TIMESTAMP": pa.timestamp("us"),
        "VARCHAR": pa.string(),
        "NVARCHAR": pa.string(),
        "CHAR": pa.string(),
        "NCHAR": pa.string(),
        "LONG": pa.string(),
        "CLOB": pa.string(),
        "NCLOB": pa.string(),
        "RAW": pa.binary(),
        "LONG_RAW": pa.binary(),
        "BLOB": pa.binary(),
    }
    if short in simple:
        return SourceColumn(name, short, simple[short])
    if short in ("ROWID", "UROWID"):
        return _text_column(name, short, Conversion.TO_TEXT)
    raise _unsupported(name, short, f'TO_CHAR("{name}")')
