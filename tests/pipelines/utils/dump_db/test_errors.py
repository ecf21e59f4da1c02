"""Each way a dump can go wrong ends in one clear error, and nothing is published.

On this machine PostgreSQL trusts local logins (any password is accepted), so a
refused PostgreSQL login is tested with a user that does not exist; MariaDB is
tested with a wrong password for root.
"""

import socket
from pathlib import Path
from typing import Any, Callable

import pytest

from pipelines.utils.exceptions import (
    ColumnValueError,
    DatabaseLoginError,
    DatabaseQueryError,
    DatabaseUnreachableError,
    SecretKeyNotFoundError,
    UnknownDatabaseTypeError,
    UnsupportedColumnTypeError,
)
from tests.pipelines.utils.dump_db.databases import DATASET_ID, SourceDatabase

WRONG_PASSWORD = "senha-errada-7f3a9c"  # pragma: allowlist secret  # a wrong one


def staging_exists(root: Path, table_id: str) -> bool:
    """Whether the table has a staging folder (something was published)."""
    return (root / "staging" / DATASET_ID / table_id).exists()


def closed_port() -> int:
    """A loopback port where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def error_chain(error: BaseException) -> str:
    """Every message of an exception and its causes, as a traceback would show."""
    messages = []
    while error is not None:
        messages.append(str(error))
        error = error.__cause__ or error.__context__
    return "\n".join(messages)


def test_dump_reports_a_query_the_database_refuses(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    query = f"SELECT * FROM {source.namespace}.tabela_inexistente"

    with pytest.raises(
        DatabaseQueryError,
        match=r"database 'test' at 127.0.0.1:\d+ failed the query: .*tabela_inexistente.*"
        r"Fix execute_query",
    ):
        dump(source, query, "consulta_ruim")

    assert not staging_exists(isolated_datalake, "consulta_ruim")


def test_dump_reports_a_query_that_fails_mid_stream(
    postgres_source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    """PostgreSQL only: MariaDB turns a division by zero into NULL, not an error."""
    query = "SELECT g, 1 / (g - 50000) AS razao FROM generate_series(1, 100000) AS g"

    with pytest.raises(
        DatabaseQueryError, match=r"failed the query: .*division by zero"
    ):
        dump(postgres_source, query, "divisao", batch_size=1_000)

    assert not staging_exists(isolated_datalake, "divisao")


def test_dump_reports_refused_credentials_without_the_password(
    source: SourceDatabase,
    dump: Callable[..., Any],
    credentials_for: Callable[..., str],
    isolated_datalake: Path,
) -> None:
    username = "usuario_inexistente" if source.db_type == "postgresql" else "root"
    secret = credentials_for(source.db_type, username=username, password=WRONG_PASSWORD)

    with pytest.raises(
        DatabaseLoginError,
        match=rf"refused the login of user '{username}': .*Check the username and password "
        rf"in Vault secret '{secret}'",
    ) as error:
        dump(source, "SELECT 1 AS um", "login_ruim", vault_secret_path=secret)

    assert WRONG_PASSWORD not in error_chain(error.value)
    assert not staging_exists(isolated_datalake, "login_ruim")


@pytest.mark.parametrize("where", ["closed port", "unknown host"])
def test_dump_reports_an_unreachable_server_after_its_attempts(
    source: SourceDatabase,
    dump: Callable[..., Any],
    isolated_datalake: Path,
    where: str,
) -> None:
    host, port = (
        ("127.0.0.1", closed_port())
        if where == "closed port"
        else (
            "banco-inexistente.invalid",
            source.port,
        )
    )

    with pytest.raises(
        DatabaseUnreachableError,
        match=rf"Cannot reach the .* database 'test' at {host}:{port}: .*Check db_host and "
        r"db_port.* Gave up after 2 attempt\(s\)",
    ):
        dump(
            source,
            "SELECT 1 AS um",
            "inalcancavel",
            db_host=host,
            db_port=port,
            max_attempts=2,
        )

    assert not staging_exists(isolated_datalake, "inalcancavel")


@pytest.mark.parametrize(
    ("db_type", "message"),
    [
        (
            "mongodb",
            r"db_type='mongodb' is not supported; expected one of \('postgresql', "
            r"'mysql', 'sql_server', 'oracle'\)",
        ),
        ("mariadb", r"db_type='mariadb' is not supported; .*Did you mean 'mysql'\?"),
        ("postgre", r"Did you mean 'postgresql'\?"),
    ],
)
def test_dump_rejects_an_unknown_db_type_before_reading_vault(
    dump: Callable[..., Any],
    postgres_source: SourceDatabase,
    db_type: str,
    message: str,
) -> None:
    with pytest.raises(UnknownDatabaseTypeError, match=message):
        dump(
            postgres_source,
            "SELECT 1",
            "tipo_ruim",
            db_type=db_type,
            vault_secret_path="nao/existe",  # pragma: allowlist secret  # a path
        )


def test_dump_requires_username_and_password_in_the_secret(
    postgres_source: SourceDatabase,
    dump: Callable[..., Any],
    write_secret: Callable[..., str],
) -> None:
    secret = write_secret({"user": "postgres", "password": ""})

    with pytest.raises(SecretKeyNotFoundError, match=r"has no key 'username'"):
        dump(
            postgres_source, "SELECT 1 AS um", "segredo_ruim", vault_secret_path=secret
        )


def test_dump_refuses_repeated_column_names(
    source: SourceDatabase, dump: Callable[..., Any]
) -> None:
    message = {
        "postgresql": r"returns column\(s\) \['id'\] more than once; .* aliases",
        "mysql": r"failed the query: .*Duplicate column name 'id'.*"
        r"Query: 'SELECT 1 AS id, 2 AS id'",
    }[source.db_type]

    with pytest.raises(DatabaseQueryError, match=message):
        dump(source, "SELECT 1 AS id, 2 AS id", "repetidas")


def test_dump_refuses_postgres_types_parquet_cannot_hold(
    postgres_source: SourceDatabase, dump: Callable[..., Any]
) -> None:
    with pytest.raises(
        UnsupportedColumnTypeError,
        match=r"Column 'duracao' has type 'interval'.*EXTRACT\(EPOCH FROM \"duracao\"\)",
    ):
        dump(postgres_source, "SELECT interval '1 day' AS duracao", "intervalo")

    with pytest.raises(
        ColumnValueError, match=r"Column 'valor' \(numeric\(10,2\)\) .*NULLIF"
    ):
        dump(postgres_source, "SELECT 'NaN'::numeric(10, 2) AS valor", "nan_decimal")
