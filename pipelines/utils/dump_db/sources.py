"""Readers per engine: connect, describe a query's columns, stream its rows as Arrow.

- PostgreSQL: the ADBC driver, in a read-only transaction, batches arriving as
  Arrow (no per-row Python work): a query without parameters streams through COPY;
  one with parameters runs behind a server-side cursor (`DECLARE ... NO SCROLL
  CURSOR`, parameters bound by the server), fetched `batch_size` rows at a time.
- MySQL/MariaDB (pymysql), SQL Server (pymssql), Oracle (python-oracledb):
  SQLAlchemy with `stream_results=True` (an unbuffered server-side cursor) and
  `fetchmany(batch_size)`, rows turned into Arrow with the schema described first.

Driver errors become `DatabaseUnreachableError`, `DatabaseLoginError`,
`DatabaseConnectionLostError` or `DatabaseQueryError`, with messages that name the
database and never the password.
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pipelines.utils.dump_db.queries import (
    as_text_clause,
    compile_statement,
    describe_clause,
)
from pipelines.utils.dump_db.types import (
    SourceColumn,
    mysql_columns,
    normalize_postgres_batch,
    oracle_columns,
    postgres_columns,
    rows_to_record_batch,
    sql_server_column,
)
from pipelines.utils.exceptions import (
    DatabaseConnectionError,
    DatabaseConnectionLostError,
    DatabaseLoginError,
    DatabaseQueryError,
    DatabaseUnreachableError,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlalchemy.sql import Executable

APPLICATION_NAME = "pipelines-dump_db"
ENGINE_NAMES = {
    "postgresql": "PostgreSQL",
    "mysql": "MySQL/MariaDB",
    "sql_server": "SQL Server",
    "oracle": "Oracle",
}
CONNECT_TIMEOUT_SECONDS = 15
POSTGRES_CURSOR = "pipelines_dump_db"

# Driver messages (lowercase) that mean the login itself was refused: wrong user or
# password, or no such database. PostgreSQL; MySQL 1044/1045/1049; SQL Server
# 18456/4060; Oracle ORA-01017 (login), ORA-12514 (service), ORA-28000 (locked).
_LOGIN_REFUSED = re.compile(
    r"password authentication failed|role \".*\" does not exist|"
    r"database \".*\" does not exist|no pg_hba\.conf entry|access denied|"
    r"unknown database|login failed|cannot open database|ora-01017|ora-12514|ora-28000"
)
# Fragments that mean the connection broke or never formed: worth another attempt.
_CONNECTION_BROKEN = (
    "server closed the connection",
    "terminating connection",
    "connection refused",
    "could not connect",
    "can't connect",
    "could not translate host name",
    "name or service not known",
    "timeout expired",
    "timed out",
    "lost connection",
    "server has gone away",
    "connection reset",
    "broken pipe",
    "no connection to the server",
    "connection is closed",
    "unable to connect",
    "dpy-4011",
    "dpy-6005",
    "ora-03113",
    "ora-03135",
    "ora-12541",
)


@dataclass(frozen=True)
class ConnectionSettings:
    """Where a database is and who logs in.

    Attributes:
        db_type: one of `parameters.DB_TYPES`.
        host: host name or address.
        port: TCP port.
        database: database name (Oracle: service name).
        username: the login.
        password: the password; never shown in `repr` nor in messages.
        credentials_source: where the login came from, for messages (a Vault path).
    """

    db_type: str
    host: str
    port: int
    database: str
    username: str
    password: str = field(repr=False)
    credentials_source: str = "the Vault secret"

    @property
    def description(self) -> str:
        """`PostgreSQL database 'x' at host:port`, for messages."""
        engine = ENGINE_NAMES[self.db_type]
        return f"{engine} database {self.database!r} at {self.host}:{self.port}"


class SourceReader(ABC):
    """An open connection to one database that describes and streams queries.

    Use as a context manager: entering connects, leaving closes.

    Args:
        settings: where to connect and with which login.
    """

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings

    def __enter__(self) -> "SourceReader":
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def connect(self) -> None:
        """Opens the connection.

        Raises:
            DatabaseLoginError: the server refused the login or the database.
            DatabaseUnreachableError: no answer, refused or timed out.
            DatabaseConnectionError: any other connection failure.
        """

    @abstractmethod
    def close(self) -> None:
        """Closes the connection; safe to call twice or after a failed connect."""

    @abstractmethod
    def describe(self, query: str) -> list[SourceColumn]:
        """The query's columns and their types, without reading its rows.

        Raises:
            DatabaseQueryError: the database refused the query.
            UnsupportedColumnTypeError: a column has no Arrow counterpart.
        """

    @abstractmethod
    def read_batches(
        self,
        statement: "str | Executable",
        columns: list[SourceColumn],
        *,
        batch_size: int,
    ) -> Iterator["pa.RecordBatch"]:
        """Runs the statement and yields its rows, in batches of `batch_size` rows.

        Args:
            statement: the query itself, or a SELECT over it (`queries`).
            columns: the described columns, whose types the batches take.
            batch_size: rows per batch; only the last batch may have fewer.

        Raises:
            DatabaseConnectionLostError: the connection broke while reading.
            DatabaseQueryError: the database failed the query.
        """

    # -- error translation shared by the engines

    def connect_error(self, exc: BaseException) -> DatabaseConnectionError:
        """The error to raise for a failed connection attempt."""
        message = redact(driver_message(exc), self.settings.password)
        where = self.settings.description
        if is_login_refused(message):
            return DatabaseLoginError(
                f"The {where} refused the login of user {self.settings.username!r}: "
                f"{message}. Check the username and password in "
                f"{self.settings.credentials_source} and the db_database parameter."
            )
        if is_connection_broken(message):
            return DatabaseUnreachableError(
                f"Cannot reach the {where}: {message}. Check db_host and db_port, "
                "that the server is up, and that this machine's network (VPN, "
                "firewall) reaches it."
            )
        return DatabaseConnectionError(
            f"Cannot connect to the {where}: {message}. Check db_host, db_port and "
            "db_database."
        )

    def query_error(self, exc: BaseException, query: str) -> Exception:
        """The error to raise for a failure while describing or reading a query."""
        message = redact(driver_message(exc), self.settings.password)
        if is_connection_broken(message):
            return DatabaseConnectionLostError(
                f"The connection to the {self.settings.description} broke while "
                f"dumping: {message}."
            )
        return DatabaseQueryError(
            f"The {self.settings.description} failed the query: {message}. Query: "
            f"{shorten(query)!r}. Fix execute_query (try it in a SQL client first)."
        )


def open_reader(settings: ConnectionSettings) -> SourceReader:
    """The reader for `settings.db_type` (not connected yet: use it with `with`)."""
    readers: dict[str, type[SourceReader]] = {
        "postgresql": PostgresReader,
        "mysql": MySQLReader,
        "sql_server": SqlServerReader,
        "oracle": OracleReader,
    }
    return readers[settings.db_type](settings)


class PostgresReader(SourceReader):
    """PostgreSQL through ADBC, in a read-only transaction, batches kept columnar.

    A query without parameters streams through COPY, ADBC's fastest path. A query
    with parameters (an incremental bound) runs behind a server-side cursor,
    `DECLARE ... NO SCROLL CURSOR` with the parameters bound by the server, fetched
    `batch_size` rows at a time: COPY cannot take parameters, and ADBC would read a
    parameterized result whole. ADBC's low-level API is used, not its DB-API
    module, which imports pandas (a second per process).
    """

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings)
        self._database: Any = None
        self._connection: Any = None
        self._statements: list[Any] = []

    def uri(self) -> str:
        """The libpq URI; user, password and database are percent-encoded."""
        user = quote(self.settings.username, safe="")
        password = quote(self.settings.password, safe="")
        login = f"{user}:{password}" if self.settings.password else user
        return (
            f"postgresql://{login}@{self.settings.host}:{self.settings.port}/"
            f"{quote(self.settings.database, safe='')}?application_name={APPLICATION_NAME}"
            f"&connect_timeout={CONNECT_TIMEOUT_SECONDS}"
        )

    def connect(self) -> None:
        import adbc_driver_manager
        import adbc_driver_postgresql

        try:
            self._database = adbc_driver_postgresql.connect(self.uri())
            self._connection = adbc_driver_manager.AdbcConnection(self._database)
            self._connection.set_autocommit(False)
            self._statement(
                "SET TRANSACTION READ ONLY", use_copy=False
            ).execute_update()
        except adbc_driver_manager.Error as exc:
            self.close()
            raise self.connect_error(exc) from exc

    def close(self) -> None:
        for handle in [*self._statements, self._connection, self._database]:
            try:
                if handle is not None:
                    handle.close()
            except Exception:  # pylint: disable=broad-except  # closing a broken link
                pass
        self._statements, self._connection, self._database = [], None, None

    def describe(self, query: str) -> list[SourceColumn]:
        import adbc_driver_manager
        import pyarrow as pa

        try:
            handle = self._statement(query, use_copy=False).execute_schema()
            schema = pa.schema(handle)
        except adbc_driver_manager.Error as exc:
            raise self.query_error(exc, query) from exc
        return postgres_columns(schema)

    def read_batches(
        self,
        statement: "str | Executable",
        columns: list[SourceColumn],
        *,
        batch_size: int,
    ) -> Iterator["pa.RecordBatch"]:
        import adbc_driver_manager
        import pyarrow as pa

        sql, parameters = compile_statement(statement, "postgresql")
        batches = (
            self._fetch_from_cursor(sql, parameters, batch_size)
            if parameters
            else self._stream(self._statement(sql, use_copy=True))
        )
        try:
            for batch in rebatch(batches, batch_size):
                yield normalize_postgres_batch(batch, columns)
        # NOTE: errors while the stream is read come through Arrow's C stream
        # interface, as Arrow errors (an OSError for a broken connection).
        except (adbc_driver_manager.Error, pa.ArrowException, OSError) as exc:
            raise self.query_error(exc, sql) from exc

    def _fetch_from_cursor(
        self, sql: str, parameters: Sequence[Any], batch_size: int
    ) -> Iterator["pa.RecordBatch"]:
        declare = f"DECLARE {POSTGRES_CURSOR} NO SCROLL CURSOR FOR {sql}"
        self._statement(declare, use_copy=False, parameters=parameters).execute_update()
        fetch = self._statement(
            f"FETCH FORWARD {int(batch_size)} FROM {POSTGRES_CURSOR}", use_copy=False
        )
        while True:
            rows = 0
            for batch in self._stream(fetch):
                rows += batch.num_rows
                yield batch
            if rows < batch_size:
                return

    def _statement(
        self, sql: str, *, use_copy: bool, parameters: Sequence[Any] = ()
    ) -> Any:
        import adbc_driver_manager
        import pyarrow as pa

        statement = adbc_driver_manager.AdbcStatement(self._connection)
        self._statements.append(statement)
        statement.set_options(**{"adbc.postgresql.use_copy": str(use_copy).lower()})
        statement.set_sql_query(sql)
        if parameters:
            names = [str(position) for position in range(len(parameters))]
            statement.bind(
                pa.record_batch([[value] for value in parameters], names=names)
            )
        return statement

    @staticmethod
    def _stream(statement: Any) -> Iterator["pa.RecordBatch"]:
        import pyarrow as pa

        handle, _ = statement.execute_query()
        with pa.RecordBatchReader.from_stream(handle) as reader:
            yield from reader


def rebatch(
    batches: Iterator["pa.RecordBatch"], size: int
) -> Iterator["pa.RecordBatch"]:
    """Re-cuts a stream of record batches into batches of exactly `size` rows.

    The last batch may be smaller. Equal cuts make a re-run write equal files, and
    memory stays within about two batches.
    """
    import pyarrow as pa

    pending: list["pa.RecordBatch"] = []
    pending_rows = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        pending_rows += batch.num_rows
        while pending_rows >= size:
            if len(pending) == 1 and pending_rows == size:
                yield pending.pop()
                pending_rows = 0
                break
            table = pa.Table.from_batches(pending)
            yield _single_batch(table.slice(0, size))
            rest = table.slice(size)
            pending, pending_rows = rest.to_batches(), rest.num_rows
    if pending_rows:
        yield _single_batch(pa.Table.from_batches(pending))


def _single_batch(table: "pa.Table") -> "pa.RecordBatch":
    return table.combine_chunks().to_batches()[0]


# pylint: disable-next=abstract-method  # a base class too: each engine describes
class SqlAlchemyReader(SourceReader):
    """Engines read through SQLAlchemy: streamed results, rows turned into Arrow."""

    drivername: str = ""

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings)
        self._engine: Any = None
        self._connection: Any = None

    def url(self) -> Any:
        """The SQLAlchemy URL; the password is escaped by `URL.create`."""
        from sqlalchemy import URL

        return URL.create(
            self.drivername,
            username=self.settings.username,
            password=self.settings.password or None,
            host=self.settings.host,
            port=self.settings.port,
            **self.url_target(),
        )

    def url_target(self) -> dict[str, Any]:
        """How the URL names the database: its `database` part by default."""
        return {"database": self.settings.database}

    def connect_args(self) -> dict[str, Any]:
        """Driver options: timeouts, session settings, application name."""
        return {}

    def connect(self) -> None:

        import sqlalchemy
        from sqlalchemy.pool import NullPool

        self._engine = sqlalchemy.create_engine(
            self.url(), poolclass=NullPool, connect_args=self.connect_args()
        )
        try:
            self._connection = self._engine.connect()
        except sqlalchemy.exc.DBAPIError as exc:
            raise self.connect_error(exc.orig) from exc

    def close(self) -> None:
        try:
            if self._connection is not None:
                self._connection.close()
        except Exception:  # pylint: disable=broad-except  # closing a broken link
            pass
        if self._engine is not None:
            self._engine.dispose()
        self._connection = self._engine = None

    def read_batches(
        self,
        statement: "str | Executable",
        columns: list[SourceColumn],
        *,
        batch_size: int,
    ) -> Iterator["pa.RecordBatch"]:
        import sqlalchemy

        if isinstance(statement, str):
            statement = as_text_clause(statement)
        connection = self._connection.execution_options(
            stream_results=True, yield_per=batch_size
        )
        try:
            result = connection.execute(statement)
            for rows in result.partitions(batch_size):
                yield rows_to_record_batch(rows, columns)
        except sqlalchemy.exc.DBAPIError as exc:
            lost = exc.connection_invalidated
            error = self.query_error(exc.orig, str(statement))
            if lost and not isinstance(error, DatabaseConnectionLostError):
                error = DatabaseConnectionLostError(
                    f"The connection to the {self.settings.description} broke while "
                    f"dumping: {error}"
                )
            raise error from exc

    def _execute_describe(self, query: str) -> Any:
        """Runs the statement that describes `query`; errors name `query` itself."""
        import sqlalchemy

        try:
            return self._connection.execute(
                describe_clause(self.settings.db_type, query)
            )
        except sqlalchemy.exc.DBAPIError as exc:
            raise self.query_error(exc.orig, query) from exc


class MySQLReader(SqlAlchemyReader):
    """MySQL and MariaDB through pymysql, in a UTC session with utf8mb4 text."""

    drivername = "mysql+pymysql"

    def connect_args(self) -> dict[str, Any]:
        return {
            "charset": "utf8mb4",
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            # NOTE: TIMESTAMP values arrive in the session's zone; UTC keeps the instant.
            "init_command": "SET time_zone = '+00:00'",
            "program_name": APPLICATION_NAME,
        }

    def describe(self, query: str) -> list[SourceColumn]:
        result = self._execute_describe(query)
        try:
            # NOTE: only pymysql's result fields carry the charset (text or binary),
            # the unsigned flag and the decimal length; `description` drops them.
            # pylint: disable-next=protected-access  # pymysql has no public accessor
            return mysql_columns(result.cursor._result.fields)
        finally:
            result.close()


class SqlServerReader(SqlAlchemyReader):
    """SQL Server through pymssql; the query is described by the server itself."""

    drivername = "mssql+pymssql"

    def connect_args(self) -> dict[str, Any]:
        return {"login_timeout": CONNECT_TIMEOUT_SECONDS, "appname": APPLICATION_NAME}

    def describe(self, query: str) -> list[SourceColumn]:
        rows = self._execute_describe(query).fetchall()
        return sql_server_columns(rows, query, self.settings.description)


def sql_server_columns(
    rows: list[Any], query: str, description: str
) -> list[SourceColumn]:
    """Columns from the rows of `SQL_SERVER_DESCRIBE`.

    Raises:
        DatabaseQueryError: the server reported an error for the query.
    """
    for row in rows:
        if row[4]:
            raise DatabaseQueryError(
                f"The {description} failed the query: {row[4]}. Query: "
                f"{shorten(query)!r}. Fix execute_query (try it in a SQL client first)."
            )
    return [sql_server_column(row[0], row[1], row[2], scale=row[3]) for row in rows]


class OracleReader(SqlAlchemyReader):
    """Oracle through python-oracledb (thin mode); `db_database` is the service name."""

    drivername = "oracle+oracledb"

    def url_target(self) -> dict[str, Any]:
        return {"query": {"service_name": self.settings.database}}

    def connect_args(self) -> dict[str, Any]:
        return {
            "tcp_connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "program": APPLICATION_NAME,
        }

    def describe(self, query: str) -> list[SourceColumn]:
        result = self._execute_describe(query)
        try:
            return oracle_columns(result.cursor.description)
        finally:
            result.close()


# ---------------------------------------------------------------------------------
# Messages


def driver_message(exc: BaseException) -> str:
    """The driver's message on one line, without the noise of tracebacks."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def redact(text: str, secret: str) -> str:
    """`text` with every occurrence of `secret` replaced by `***`."""
    return text.replace(secret, "***") if secret else text


def shorten(query: str, limit: int = 300) -> str:
    """The query on one line, cut to `limit` characters."""
    flat = " ".join(query.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 3]}..."


def is_login_refused(message: str) -> bool:
    """Whether a driver message says the login or the database was refused."""
    return _LOGIN_REFUSED.search(message.lower()) is not None


def is_connection_broken(message: str) -> bool:
    """Whether a driver message says the connection broke or could not form."""
    lower = message.lower()
    return any(fragment in lower for fragment in _CONNECTION_BROKEN)
