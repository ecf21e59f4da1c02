"""The dump_db parameters: defaults, and their validation into one `DumpRequest`.

Every check runs before Vault or the database is contacted, so a typo fails at once
with a message that names the parameter, the value and what is accepted. Values
typed in the Prefect UI arrive as text: numbers written as text are accepted.
"""

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pipelines.constants import constants
from pipelines.utils.exceptions import InvalidParameterError, UnknownDatabaseTypeError

DB_TYPES = ("postgresql", "mysql", "sql_server", "oracle")
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "sql_server": 1433, "oracle": 1521}
DUMP_MODES = ("append", "overwrite")
DEFAULT_DUMP_MODE = "append"
DEFAULT_BATCH_SIZE = 100_000
MAX_BATCH_SIZE = 5_000_000

# `lower_bound_date` keywords besides an ISO date.
LAST_PARTITION = "last_partition"
RELATIVE_BOUNDS = ("current_day", "current_month", "current_year")
LOWER_BOUND_KEYWORDS = (LAST_PARTITION, *RELATIVE_BOUNDS)

# Names people reach for that mean one of DB_TYPES.
_DB_TYPE_HINTS = {
    "mariadb": "mysql",
    "postgres": "postgresql",
    "mssql": "sql_server",
    "sqlserver": "sql_server",
}


@dataclass(frozen=True)
class DumpRequest:  # pylint: disable=too-many-instance-attributes  # one per parameter
    """A validated dump: where to read, what, and where and how to write it.

    Attributes:
        db_type: one of `DB_TYPES`.
        host: the database server's host name or address.
        port: its port (the engine's default when not given).
        database: the database (Oracle: the service name).
        vault_secret_path: the Vault secret with `username` and `password`.
        query: the query, without a trailing `;`.
        dataset_id: the datalake dataset.
        table_id: the datalake table.
        dump_mode: `append` or `overwrite`.
        partition_column: the date column the partitions derive from, or None.
        partition_date_format: `strptime` format when that column is text.
        lower_bound: a date, `LAST_PARTITION`, or None for a full dump.
        batch_size: rows per batch read and per file written.
    """

    db_type: str
    host: str
    port: int
    database: str
    vault_secret_path: str
    query: str
    dataset_id: str
    table_id: str
    dump_mode: str = DEFAULT_DUMP_MODE
    partition_column: str | None = None
    partition_date_format: str | None = None
    lower_bound: date | str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE


def build_dump_request(  # pylint: disable=too-many-arguments,too-many-locals  # the flow's
    db_type: Any,
    db_host: Any,
    db_port: Any,
    *,
    db_database: Any,
    vault_secret_path: Any,
    execute_query: Any,
    dataset_id: Any,
    table_id: Any,
    dump_mode: Any = DEFAULT_DUMP_MODE,
    partition_columns: Any = None,
    partition_date_format: Any = None,
    lower_bound_date: Any = None,
    batch_size: Any = DEFAULT_BATCH_SIZE,
    today: date | None = None,
) -> DumpRequest:
    """Validates the dump_db parameters, as the flow receives them.

    Args:
        db_type: `postgresql`, `mysql` (MariaDB too), `sql_server` or `oracle`.
        db_host: the database host.
        db_port: the port; None or empty for the engine's default.
        db_database: the database name (Oracle: service name).
        vault_secret_path: the Vault secret holding `username` and `password`.
        execute_query: the SELECT to dump.
        dataset_id: the datalake dataset (lowercase snake_case).
        table_id: the datalake table (lowercase snake_case).
        dump_mode: `append` or `overwrite`.
        partition_columns: one date column to partition by, or None.
        partition_date_format: `strptime` format of that column when it is text.
        lower_bound_date: None (everything), `YYYY-MM-DD`, `last_partition`,
            `current_day`, `current_month` or `current_year`.
        batch_size: rows per batch, 1 to 5,000,000.
        today: the date `current_*` bounds are relative to; today in
            America/Sao_Paulo by default.

    Returns:
        The request, with the port and the lower bound resolved.

    Raises:
        UnknownDatabaseTypeError: `db_type` is not supported.
        InvalidParameterError: any other parameter is missing or invalid.
    """
    from pipelines.utils.datalake.base import validate_identifier

    kind = validate_db_type(db_type)
    validate_identifier("dataset_id", dataset_id)
    validate_identifier("table_id", table_id)
    if dump_mode not in DUMP_MODES:
        raise InvalidParameterError(
            f"dump_mode={dump_mode!r} is not supported; expected one of {DUMP_MODES!r}: "
            "'append' replaces the partitions it writes, 'overwrite' the whole table."
        )
    partition_column = _single_partition_column(partition_columns)
    date_format = _optional_text("partition_date_format", partition_date_format)
    if date_format and not partition_column:
        raise InvalidParameterError(
            f"partition_date_format={date_format!r} was given without "
            "partition_columns; name the date column to partition by, or drop the format."
        )
    lower_bound = _parse_lower_bound(lower_bound_date, today=today)
    if lower_bound is not None and not partition_column:
        raise InvalidParameterError(
            f"lower_bound_date={lower_bound_date!r} needs partition_columns: the bound "
            "filters the partition date column. Set partition_columns, or drop the bound."
        )
    if lower_bound is not None and dump_mode == "overwrite":
        raise InvalidParameterError(
            f"lower_bound_date={lower_bound_date!r} with dump_mode='overwrite' would "
            "replace the whole table by the rows since the bound. Use dump_mode='append' "
            "for incremental dumps (it replaces only the partitions it writes)."
        )
    return DumpRequest(
        db_type=kind,
        host=_required_text("db_host", db_host),
        port=_port(db_port, kind),
        database=_required_text("db_database", db_database),
        vault_secret_path=_required_text("vault_secret_path", vault_secret_path),
        query=clean_query(execute_query),
        dataset_id=dataset_id,
        table_id=table_id,
        dump_mode=dump_mode,
        partition_column=partition_column,
        partition_date_format=date_format,
        lower_bound=lower_bound,
        batch_size=_batch_size(batch_size),
    )


def validate_db_type(db_type: Any) -> str:
    """Returns `db_type` normalized, or an error that lists the accepted ones.

    Raises:
        UnknownDatabaseTypeError: not one of `DB_TYPES`.
    """
    normalized = db_type.strip().lower() if isinstance(db_type, str) else db_type
    if normalized in DB_TYPES:
        return normalized
    hint = ""
    if isinstance(normalized, str):
        close = _DB_TYPE_HINTS.get(normalized) or next(
            iter(difflib.get_close_matches(normalized, DB_TYPES, n=1)), None
        )
        hint = f" Did you mean {close!r}?" if close else ""
    raise UnknownDatabaseTypeError(
        f"db_type={db_type!r} is not supported; expected one of {DB_TYPES!r} "
        f"(MariaDB is 'mysql').{hint}"
    )


def clean_query(query: Any) -> str:
    """The query without surrounding blanks and trailing semicolons.

    Raises:
        InvalidParameterError: the query is empty or not text.
    """
    if not isinstance(query, str) or not query.strip().rstrip(";").strip():
        raise InvalidParameterError(
            f"execute_query={query!r} is empty; expected the SELECT whose rows are "
            "dumped, e.g. 'SELECT * FROM schema.tabela'."
        )
    text = query.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def _single_partition_column(partition_columns: Any) -> str | None:
    if partition_columns is None or partition_columns == "" or partition_columns == []:
        return None
    if isinstance(partition_columns, str):
        columns = [part.strip() for part in partition_columns.split(",")]
    elif isinstance(partition_columns, (list, tuple)):
        columns = [str(part).strip() for part in partition_columns]
    else:
        columns = []
    if len(columns) != 1 or not columns[0]:
        raise InvalidParameterError(
            f"partition_columns={partition_columns!r} must name exactly one date column, "
            "from which ano_particao, mes_particao and data_particao are derived, "
            "e.g. 'data_abertura'."
        )
    return columns[0]


def _parse_lower_bound(value: Any, *, today: date | None) -> date | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = value.strip().lower() if isinstance(value, str) else ""
    if text == LAST_PARTITION:
        return LAST_PARTITION
    if text in RELATIVE_BOUNDS:
        day = today or _today()
        starts = {
            "current_day": day,
            "current_month": day.replace(day=1),
            "current_year": day.replace(month=1, day=1),
        }
        return starts[text]
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidParameterError(
        f"lower_bound_date={value!r} is not a date; expected 'YYYY-MM-DD' (e.g. "
        f"'2024-01-31'), one of {LOWER_BOUND_KEYWORDS!r}, or empty for a full dump."
    )


def _today() -> date:
    import pendulum

    return pendulum.now(constants.DEFAULT_TIMEZONE.value).date()


def _port(value: Any, db_type: str) -> int:
    if value is None or value == "":
        return DEFAULT_PORTS[db_type]
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 0 < int(text) < 65536:
        raise InvalidParameterError(
            f"db_port={value!r} is not a port; expected a number from 1 to 65535, or "
            f"empty for the {db_type} default ({DEFAULT_PORTS[db_type]})."
        )
    return int(text)


def _batch_size(value: Any) -> int:
    text = str(value).strip().replace("_", "")
    if (
        isinstance(value, bool)
        or not text.isdigit()
        or not 0 < int(text) <= MAX_BATCH_SIZE
    ):
        raise InvalidParameterError(
            f"batch_size={value!r} is not a number of rows from 1 to {MAX_BATCH_SIZE:,}; "
            f"the default, {DEFAULT_BATCH_SIZE:,}, suits most tables (memory grows "
            "with it)."
        )
    return int(text)


_EXAMPLES = {
    "db_host": "'10.0.0.5' or 'banco.rio.gov.br'",
    "db_database": "the database name ('sigma'; Oracle: the service name)",
    "vault_secret_path": "the Vault secret with username and password, e.g. 'sigma_db'",
}


def _required_text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(
            f"{name}={value!r} is empty; expected {_EXAMPLES[name]}. Set it in the "
            "flow's default parameters or in its schedule's parameter_defaults."
        )
    return value.strip()


def _optional_text(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidParameterError(f"{name}={value!r} must be text or empty.")
    return value
