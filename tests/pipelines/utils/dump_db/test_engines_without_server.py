"""SQL Server and Oracle, tested without a server: no such server runs on these
machines. What is tested is what they would receive (connection URL, describe SQL,
dump SQL and its parameters, compiled by the same dialects the readers use) and the
type mapping from what their drivers report, fed with the drivers' own type objects.
The readers' code paths are the same ones PostgreSQL and MariaDB run for real.
"""

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pytest

from pipelines.utils.dump_db.queries import (
    build_dump_statement,
    compile_statement,
    describe_clause,
    describe_sql,
    sqlalchemy_dialect,
    typed_lower_bound,
)
from pipelines.utils.dump_db.sources import (
    ConnectionSettings,
    OracleReader,
    SqlServerReader,
    sql_server_columns,
)
from pipelines.utils.dump_db.types import (
    SourceColumn,
    arrow_schema,
    oracle_columns,
    rows_to_record_batch,
)
from pipelines.utils.exceptions import (
    DatabaseLoginError,
    DatabaseQueryError,
    DatabaseUnreachableError,
    InvalidParameterError,
    UnsupportedColumnTypeError,
)

PASSWORD = "p@ss:w/rd#1"  # pragma: allowlist secret  # made up, for escaping


def settings(db_type: str, port: int) -> ConnectionSettings:
    """A login to a made-up server, with a password that needs escaping in URLs."""
    return ConnectionSettings(db_type, "db.rio", port, "SIGMA", "leitor", PASSWORD)


# ---------------------------------------------------------------------------------
# SQL Server

# Rows of sys.dm_exec_describe_first_result_set: name, system_type_name, precision,
# scale, error_message.
SQL_SERVER_DESCRIPTION = [
    ("id", "int", 10, 0, None),
    ("codigo", "bigint", 19, 0, None),
    ("valor", "decimal(12,2)", 12, 2, None),
    ("preco", "money", 19, 4, None),
    ("dia", "date", 10, 0, None),
    ("registrado", "datetime2(7)", 27, 7, None),
    ("criado", "datetimeoffset(7)", 34, 7, None),
    ("ativo", "bit", 1, 0, None),
    ("nome", "nvarchar(200)", 0, 0, None),
    ("arquivo", "varbinary(max)", 0, 0, None),
    ("guid", "uniqueidentifier", 0, 0, None),
]


def test_sql_server_connection_url_escapes_the_login() -> None:
    reader = SqlServerReader(settings("sql_server", 1433))

    url = reader.url()

    assert (
        url.render_as_string(hide_password=True)
        == "mssql+pymssql://leitor:***@db.rio:1433/SIGMA"
    )
    assert url.password == PASSWORD
    assert reader.connect_args() == {
        "login_timeout": 15,
        "appname": "pipelines-dump_db",
    }


def test_sql_server_describe_sends_the_query_as_a_parameter() -> None:
    query = "SELECT * FROM dbo.Chamado WHERE status = 'aberto'"

    compiled = describe_clause("sql_server", query).compile(
        dialect=sqlalchemy_dialect("sql_server")
    )

    assert str(compiled) == (
        "SELECT name, system_type_name, precision, scale, error_message FROM "
        "sys.dm_exec_describe_first_result_set(%(query)s, NULL, 0) "
        "WHERE is_hidden = 0 OR is_hidden IS NULL ORDER BY column_ordinal"
    )
    assert compiled.params == {"query": query}


def test_sql_server_types_map_to_arrow() -> None:
    columns = sql_server_columns(
        SQL_SERVER_DESCRIPTION, "SELECT ...", "SQL Server database"
    )

    assert {column.name: column.arrow_type for column in columns} == {
        "id": pa.int32(),
        "codigo": pa.int64(),
        "valor": pa.decimal128(12, 2),
        "preco": pa.decimal128(19, 4),
        "dia": pa.date32(),
        "registrado": pa.timestamp("us"),
        "criado": pa.timestamp("us", tz="UTC"),
        "ativo": pa.bool_(),
        "nome": pa.string(),
        "arquivo": pa.binary(),
        "guid": pa.string(),
    }
    assert [column.name for column in columns if column.is_selected_as_utc] == [
        "criado"
    ]


def test_sql_server_describe_errors_and_unsupported_types_are_clear() -> None:
    with pytest.raises(
        DatabaseQueryError, match=r"failed the query: Invalid object name 'dbo.X'"
    ):
        sql_server_columns(
            [(None, None, None, None, "Invalid object name 'dbo.X'.")],
            "SELECT * FROM dbo.X",
            "db",
        )
    with pytest.raises(
        UnsupportedColumnTypeError, match=r"'geo' has type 'geography'.*CAST\(\[geo\]"
    ):
        sql_server_columns([("geo", "geography", 0, 0, None)], "SELECT geo", "db")


def test_sql_server_dump_sql_converts_offsets_to_utc_and_binds_the_bound() -> None:
    columns = sql_server_columns(
        SQL_SERVER_DESCRIPTION[:1] + SQL_SERVER_DESCRIPTION[6:7], "", ""
    )
    bound = typed_lower_bound(columns[1], date(2024, 1, 2), db_type="sql_server")

    sql, parameters = compile_statement(
        build_dump_statement(
            "SELECT id, criado FROM dbo.Chamado",
            columns,
            db_type="sql_server",
            lower_bound=bound,
        ),
        "sql_server",
    )

    utc = "CAST(switchoffset(dump_db_source.criado, '+00:00') AS DATETIME2(6))"
    assert sql == (
        f"SELECT dump_db_source.id, {utc} AS criado \n"
        "FROM (SELECT id, criado FROM dbo.Chamado) AS dump_db_source \n"
        f"WHERE {utc} >= %(lower_bound)s"
    )
    # midnight in Rio de Janeiro (UTC-3), as naive UTC like the converted column
    assert parameters == [datetime(2024, 1, 2, 3, 0)]


def test_sql_server_cannot_wrap_a_cte() -> None:
    columns = sql_server_columns(SQL_SERVER_DESCRIPTION[6:7], "", "")

    with pytest.raises(
        InvalidParameterError, match="starts with WITH.*Rewrite the CTE"
    ):
        build_dump_statement(
            "WITH x AS (SELECT 1 AS a) SELECT * FROM x", columns, db_type="sql_server"
        )

    query = "WITH x AS (SELECT 1 AS a) SELECT * FROM x"
    assert build_dump_statement(query, columns[:0], db_type="sql_server") == query


def test_sql_server_driver_values_become_typed_batches() -> None:
    """Values as pymssql returns them (Decimal, naive UTC datetimes, uuid.UUID)."""
    columns = sql_server_columns(SQL_SERVER_DESCRIPTION, "", "")
    guid = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    row = (
        1,
        2**40,
        Decimal("10.50"),
        Decimal("3.1416"),
        date(2024, 1, 2),
        datetime(2024, 1, 2, 3, 4, 5, 678901),
        datetime(2024, 1, 2, 3),
        True,
        "Méier 😀",
        b"\x00\x01",
        guid,
    )

    batch = rows_to_record_batch([row, (None,) * len(row)], columns)

    assert batch.schema == arrow_schema(columns)
    first = batch.to_pylist()[0]
    assert first["criado"] == datetime(2024, 1, 2, 3, tzinfo=timezone.utc)
    assert first["guid"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert first["valor"] == Decimal("10.50")
    assert batch.to_pylist()[1] == dict.fromkeys(batch.schema.names)


# ---------------------------------------------------------------------------------
# Oracle


def oracle_description() -> list[tuple]:
    """`cursor.description` entries as python-oracledb builds them."""
    import oracledb

    def entry(name: str, kind: object, precision: int = 0, scale: int = 0) -> tuple:
        return (name, kind, None, None, precision, scale, True)

    return [
        entry("ID", oracledb.DB_TYPE_NUMBER, 10, 0),
        entry("VALOR", oracledb.DB_TYPE_NUMBER, 12, 2),
        entry("LIVRE", oracledb.DB_TYPE_NUMBER, 0, -127),
        entry("TAXA", oracledb.DB_TYPE_NUMBER, 126, -127),
        entry("DIA", oracledb.DB_TYPE_DATE),
        entry("REGISTRADO", oracledb.DB_TYPE_TIMESTAMP),
        entry("CRIADO", oracledb.DB_TYPE_TIMESTAMP_TZ),
        entry("NOME", oracledb.DB_TYPE_VARCHAR),
        entry("TEXTO", oracledb.DB_TYPE_CLOB),
        entry("ARQUIVO", oracledb.DB_TYPE_BLOB),
    ]


def test_oracle_connection_url_uses_the_service_name() -> None:
    reader = OracleReader(settings("oracle", 1521))

    url = reader.url().render_as_string(hide_password=True)

    assert url == "oracle+oracledb://leitor:***@db.rio:1521?service_name=SIGMA"


def test_oracle_types_map_to_arrow() -> None:
    columns = oracle_columns(oracle_description())

    assert {column.name: column.arrow_type for column in columns} == {
        "ID": pa.int64(),
        "VALOR": pa.decimal128(12, 2),
        "LIVRE": pa.string(),
        "TAXA": pa.float64(),
        "DIA": pa.timestamp("us"),  # an Oracle DATE has a time of day
        "REGISTRADO": pa.timestamp("us"),
        "CRIADO": pa.timestamp("us", tz="UTC"),
        "NOME": pa.string(),
        "TEXTO": pa.string(),
        "ARQUIVO": pa.binary(),
    }
    assert [column.name for column in columns if column.is_text_fallback] == ["LIVRE"]


def test_oracle_unsupported_types_are_clear() -> None:
    import oracledb

    description = [("PRAZO", oracledb.DB_TYPE_INTERVAL_DS, None, None, 0, 0, True)]

    with pytest.raises(
        UnsupportedColumnTypeError, match=r"'PRAZO' has type 'INTERVAL_DS'.*TO_CHAR"
    ):
        oracle_columns(description)


def test_oracle_sql_describes_and_dumps_with_utc_and_a_named_bind() -> None:
    columns = oracle_columns(oracle_description())
    chosen = [columns[0], columns[6]]
    bound = typed_lower_bound(columns[6], date(2024, 1, 2), db_type="oracle")
    query = "SELECT id, criado FROM sigma.chamado"

    sql, parameters = compile_statement(
        build_dump_statement(query, chosen, db_type="oracle", lower_bound=bound),
        "oracle",
    )

    assert describe_sql("oracle", query) == (
        "SELECT * FROM (SELECT id, criado FROM sigma.chamado) dump_db_source WHERE 1 = 0"
    )
    assert sql == (
        'SELECT dump_db_source."ID", sys_extract_utc(dump_db_source."CRIADO") AS "CRIADO" \n'
        "FROM (SELECT id, criado FROM sigma.chamado) dump_db_source \n"
        'WHERE sys_extract_utc(dump_db_source."CRIADO") >= :lower_bound'
    )
    assert parameters == [datetime(2024, 1, 2, 3, 0)]


def test_oracle_driver_values_become_typed_batches() -> None:
    """Values as python-oracledb returns them through SQLAlchemy (Decimal for scaled
    and unconstrained NUMBER, naive datetimes, str for CLOB, bytes for BLOB)."""
    columns = oracle_columns(oracle_description())
    row = (
        7,
        Decimal("1.25"),
        Decimal("3.14159265358979"),
        0.5,
        datetime(2024, 1, 2, 10, 30),
        datetime(2024, 1, 2, 10, 30, 0, 5),
        datetime(2024, 1, 2, 13, 30),
        "São Cristóvão",
        "texto longo",
        b"\x01",
    )

    batch = rows_to_record_batch([row], columns)

    assert batch.to_pylist() == [
        {
            "ID": 7,
            "VALOR": Decimal("1.25"),
            "LIVRE": "3.14159265358979",
            "TAXA": 0.5,
            "DIA": datetime(2024, 1, 2, 10, 30),
            "REGISTRADO": datetime(2024, 1, 2, 10, 30, 0, 5),
            "CRIADO": datetime(2024, 1, 2, 13, 30, tzinfo=timezone.utc),
            "NOME": "São Cristóvão",
            "TEXTO": "texto longo",
            "ARQUIVO": b"\x01",
        }
    ]


def test_row_values_that_do_not_fit_their_type_name_the_column() -> None:
    from pipelines.utils.exceptions import ColumnValueError

    column = SourceColumn("quantidade", "smallint", pa.int16())

    with pytest.raises(
        ColumnValueError, match=r"Column 'quantidade' \(smallint\) has a value"
    ):
        rows_to_record_batch([(70000,)], [column])


# Messages as pymssql and python-oracledb word them (copied from their error texts;
# no such server runs here to produce them).
DRIVER_MESSAGES = [
    (
        "sql_server",
        "(18456, b\"Login failed for user 'leitor'.DB-Lib error message 20018, severity "
        '14:\\nGeneral SQL Server error\\nAdaptive Server connection failed (db.rio)\\n")',
        DatabaseLoginError,
    ),
    (
        "sql_server",
        "(20009, b'DB-Lib error message 20009, severity 9:\\nUnable to connect: Adaptive "
        "Server is unavailable or does not exist (db.rio)\\nNet-Lib error during "
        "Connection refused (111)\\n')",
        DatabaseUnreachableError,
    ),
    (
        "oracle",
        "ORA-01017: invalid username/password; logon denied",
        DatabaseLoginError,
    ),
    (
        "oracle",
        "DPY-6005: cannot connect to database (CONNECTION_ID=abc). [Errno 111] "
        "Connection refused",
        DatabaseUnreachableError,
    ),
]


@pytest.mark.parametrize(("db_type", "message", "error"), DRIVER_MESSAGES)
def test_driver_connection_messages_become_clear_errors(
    db_type: str, message: str, error: type[Exception]
) -> None:
    reader_class = SqlServerReader if db_type == "sql_server" else OracleReader
    reader = reader_class(settings(db_type, 1433))

    translated = reader.connect_error(Exception(message))

    assert type(translated) is error  # pylint: disable=unidiomatic-typecheck  # exact
    assert "database 'SIGMA' at db.rio:1433" in str(translated)
    assert PASSWORD not in str(translated)
