"""The SQL a dump sends: the query as given, or wrapped to filter and convert columns.

The user's query is sent unchanged unless the dump needs to filter it (incremental
dumps) or to have a column converted by the database (to UTC on SQL Server and
Oracle, to text for PostgreSQL numerics). Then it becomes a derived table,
`SELECT ... FROM (<query>) AS dump_db_source WHERE <column> >= :lower_bound`, composed
by SQLAlchemy for the engine's dialect: identifiers are quoted by the
dialect and the bound travels as a typed bind parameter, never pasted into the text.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import TYPE_CHECKING, Any, Sequence

from pipelines.utils.datalake.partitions import PARTITION_TIMEZONE
from pipelines.utils.dump_db.types import SourceColumn
from pipelines.utils.exceptions import InvalidParameterError, PartitionValueError

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.sql import ColumnElement, Executable

SOURCE_ALIAS = "dump_db_source"
BOUND_PARAMETER = "lower_bound"

# SQL Server describes a query's result without running it; the query is a parameter.
SQL_SERVER_DESCRIBE = (
    "SELECT name, system_type_name, precision, scale, error_message "
    "FROM sys.dm_exec_describe_first_result_set(:query, NULL, 0) "
    "WHERE is_hidden = 0 OR is_hidden IS NULL ORDER BY column_ordinal"
)

# Text partition dates compare as dates only when ordered year, month, day.
_SORTABLE_DATE_FORMAT = re.compile(r"^%Y([-/.]?)%m\1%d")


@dataclass(frozen=True)
class LowerBound:
    """Rows whose `column` is at least `value` are dumped.

    Attributes:
        column: the partition date column.
        day: the first partition date dumped.
        value: `day` in the column's own type (date, timestamp, text).
    """

    column: SourceColumn
    day: date
    value: date | datetime | str


def sqlalchemy_dialect(db_type: str) -> "Dialect":
    """The SQLAlchemy dialect that composes SQL for `db_type`.

    PostgreSQL is read through ADBC, whose placeholders are `$1, $2, ...`, so its
    dialect uses the `numeric_dollar` parameter style.
    """

    from sqlalchemy.dialects.mssql.pymssql import MSDialect_pymssql
    from sqlalchemy.dialects.mysql.pymysql import MySQLDialect_pymysql
    from sqlalchemy.dialects.oracle.oracledb import OracleDialect_oracledb
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    if db_type == "postgresql":
        return PGDialect_psycopg(paramstyle="numeric_dollar")
    dialect = {
        "mysql": MySQLDialect_pymysql,
        "sql_server": MSDialect_pymssql,
        "oracle": OracleDialect_oracledb,
    }[db_type]
    # NOTE: with its DB-API module the dialect takes the driver's parameter style
    # (pymysql and pymssql: `%(name)s`, oracledb: `:name`), as an engine would.
    return dialect(dbapi=dialect.import_dbapi())


def as_text_clause(query: str) -> Any:
    """The query as a SQLAlchemy `text()`, its colons kept literal.

    `text()` reads `:name` as a bind parameter; a colon in the user's SQL (a time
    literal, a PostgreSQL `::cast`) is escaped so it reaches the database unchanged.
    """
    from sqlalchemy import text

    return text(query.replace(":", r"\:"))


def describe_sql(db_type: str, query: str) -> str:
    """The SQL that describes a query's columns without reading its rows.

    Args:
        db_type: `mysql` or `oracle` (PostgreSQL asks the driver, SQL Server runs
            `SQL_SERVER_DESCRIBE` with the query as a parameter).
        query: the user's query.

    Returns:
        A statement that returns no row and the query's columns.
    """
    if db_type == "oracle":
        return f"SELECT * FROM ({query}) {SOURCE_ALIAS} WHERE 1 = 0"
    return f"SELECT * FROM ({query}) AS {SOURCE_ALIAS} LIMIT 0"


def describe_clause(db_type: str, query: str) -> Any:
    """The SQLAlchemy clause a SQLAlchemy reader runs to describe `query`.

    MySQL and Oracle run `describe_sql` (the user's query inside, colons kept
    literal); SQL Server runs `SQL_SERVER_DESCRIBE` with the query bound as `:query`.
    """
    from sqlalchemy import text

    if db_type == "sql_server":
        return text(SQL_SERVER_DESCRIBE).bindparams(query=query)
    return as_text_clause(describe_sql(db_type, query))


def typed_lower_bound(
    column: SourceColumn,
    day: date,
    *,
    db_type: str,
    date_format: str | None = None,
) -> LowerBound:
    """The bound for `column >= bound`, in the column's own type.

    A date column compares with the date; a naive timestamp with midnight of that
    day; a zone-aware timestamp with midnight in America/Sao_Paulo (the zone
    partition dates are taken in), sent zone-aware to PostgreSQL and as naive UTC to
    engines that read such columns in UTC; ISO text with the ISO date.

    Args:
        column: the partition column, as described.
        day: the first partition date to dump.
        db_type: the engine.
        date_format: the `strptime` format of a text column.

    Returns:
        The typed bound.

    Raises:
        InvalidParameterError: a text column whose format does not sort as dates.
        PartitionValueError: the column is not a date, timestamp or text.
    """
    import pyarrow as pa

    kind = column.arrow_type
    if pa.types.is_date(kind):
        return LowerBound(column, day, day)
    if pa.types.is_timestamp(kind) and kind.tz is None:
        return LowerBound(column, day, datetime.combine(day, time()))
    if pa.types.is_timestamp(kind):
        from zoneinfo import ZoneInfo

        instant = datetime.combine(day, time(), tzinfo=ZoneInfo(PARTITION_TIMEZONE))
        if db_type != "postgresql":
            instant = instant.astimezone(timezone.utc).replace(tzinfo=None)
        return LowerBound(column, day, instant)
    if pa.types.is_string(kind):
        match = _SORTABLE_DATE_FORMAT.match(date_format or "%Y-%m-%d")
        if match is None:
            raise InvalidParameterError(
                f"Partition column {column.name!r} is text in format {date_format!r}, "
                "which does not sort as dates, so lower_bound_date cannot be compared in "
                "the database. Convert the column to a date in execute_query (e.g. "
                "TO_DATE / STR_TO_DATE / CONVERT) and drop partition_date_format."
            )
        return LowerBound(column, day, day.strftime(match.group(0)))
    raise PartitionValueError(
        f"Partition column {column.name!r} has type {column.source_type!r}; expected a "
        "date, a timestamp or text holding dates. Choose a date column as "
        "partition_columns."
    )


def build_dump_statement(
    query: str,
    columns: Sequence[SourceColumn],
    *,
    db_type: str,
    lower_bound: LowerBound | None = None,
) -> "str | Executable":
    """The statement that reads the dump's rows.

    Args:
        query: the user's query.
        columns: its described columns.
        db_type: the engine, for the UTC conversion functions.
        lower_bound: the incremental filter, or None.

    Returns:
        The query itself when nothing needs wrapping, else a SQLAlchemy SELECT
        over it (SQLAlchemy is imported only then).

    Raises:
        InvalidParameterError: the query must be wrapped but SQL Server cannot
            (a query that starts with WITH cannot be a derived table there).
    """
    if lower_bound is None and not any(
        c.is_selected_as_utc or c.is_selected_as_text for c in columns
    ):
        return query

    from sqlalchemy import column, select

    if db_type == "sql_server" and re.match(r"\s*with\b", query, flags=re.IGNORECASE):
        raise InvalidParameterError(
            "execute_query starts with WITH, and SQL Server cannot use such a query as "
            "a derived table, which this dump needs (incremental bound or time zone "
            "conversion). Rewrite the CTE as a subquery, or create a view."
        )
    source = (
        as_text_clause(query)
        .columns(*(column(c.name) for c in columns))
        .subquery(SOURCE_ALIAS)
    )
    statement = select(*(_selected(source.c[c.name], c, db_type) for c in columns))
    if lower_bound is None:
        return statement
    target = source.c[lower_bound.column.name]
    if lower_bound.column.is_selected_as_utc:
        target = _utc(target, db_type)
    return statement.where(target >= _bound_parameter(lower_bound.value))


def _selected(expression: "ColumnElement", column: SourceColumn, db_type: str) -> Any:
    """A column of the outer SELECT: as it is, or converted by the database."""
    from sqlalchemy import Text, cast

    if column.is_selected_as_utc:
        return _utc(expression, db_type).label(column.name)
    if column.is_selected_as_text:
        return cast(expression, Text).label(column.name)
    return expression


def _bound_parameter(value: date | datetime | str) -> Any:
    """The bound as a bind parameter typed like the value (the dialect may cast it)."""
    from sqlalchemy import Date, DateTime, String, bindparam

    if isinstance(value, datetime):
        kind: Any = DateTime(timezone=value.tzinfo is not None)
    else:
        kind = Date() if isinstance(value, date) else String()
    return bindparam(BOUND_PARAMETER, value, type_=kind)


def _utc(expression: "ColumnElement", db_type: str) -> "ColumnElement":
    """The database's own conversion of a zone-aware value to naive UTC."""
    from sqlalchemy import (
        cast,
        func,
        literal_column,
    )

    if db_type == "sql_server":
        from sqlalchemy.dialects.mssql import DATETIME2

        return cast(
            func.switchoffset(expression, literal_column("'+00:00'")), DATETIME2(6)
        )
    if db_type == "oracle":
        return func.sys_extract_utc(expression)
    raise NotImplementedError(
        f"{db_type} readers return zone-aware values as instants; no conversion needed."
    )


def compile_statement(
    statement: "str | Executable", db_type: str
) -> tuple[str, list[Any]]:
    """The SQL text the engine receives and its parameters, in placeholder order.

    Args:
        statement: from `build_dump_statement`.
        db_type: the engine.

    Returns:
        The SQL and its parameters, in the order of the placeholders.
    """
    if isinstance(statement, str):
        return statement, []
    compiled = statement.compile(dialect=sqlalchemy_dialect(db_type))
    names = list(compiled.positiontup or compiled.params)
    return str(compiled), [compiled.params[name] for name in names]
