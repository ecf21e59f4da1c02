"""Real sources for dump_db: the PostgreSQL and MariaDB servers of this machine.

Each test gets its own namespace, dropped afterwards: a schema `dump_db_<hex>` in
PostgreSQL's `test` database, a database `dump_db_<hex>` in MariaDB (the dump logs
in to `test` and reads `dump_db_<hex>.<table>`). Credentials reach the dump only
through a secret written to the session's OpenBao dev server (`bao_server` in
`tests/pipelines/utils/conftest.py`). A server that does not answer fails the test.
"""

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pipelines.utils.dump_db.tasks import dump_sql_to_datalake
from tests.pipelines.utils.dump_db.databases import (
    DATASET_ID,
    DB_TYPES,
    HOST,
    LOGINS,
    PORTS,
    SourceDatabase,
)


@pytest.fixture(params=DB_TYPES)
def source(request: pytest.FixtureRequest) -> Iterator[SourceDatabase]:
    """A fresh namespace on PostgreSQL, then on MariaDB (the test runs once for each)."""
    database = SourceDatabase(
        request.param, f"dump_db_{uuid.uuid4().hex[:12]}", PORTS[request.param]
    )
    kind = "SCHEMA" if database.db_type == "postgresql" else "DATABASE"
    database.execute(f"CREATE {kind} {database.namespace}")
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def postgres_source() -> Iterator[SourceDatabase]:
    """A fresh schema on PostgreSQL only."""
    database = SourceDatabase("postgresql", f"dump_db_{uuid.uuid4().hex[:12]}", 5432)
    database.execute(f"CREATE SCHEMA {database.namespace}")
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def credentials_for(
    vault_env: Any, write_secret: Callable[..., str]
) -> Callable[..., str]:
    """Writes a `username`/`password` secret for a database; returns its Vault path.

    `vault_env` exports the server's address and token, as the dump task reads them.
    """
    del vault_env

    def _write(
        db_type: str, *, username: str | None = None, password: str | None = None
    ) -> str:
        default_user, default_password = LOGINS[db_type]
        return write_secret(
            {
                "username": default_user if username is None else username,
                "password": default_password if password is None else password,
            }
        )

    return _write


@pytest.fixture
def dump(credentials_for: Callable[..., str]) -> Callable[..., Any]:
    """Runs the dump_db task against a source, with test defaults for the rest.

    Retries wait 0 s instead of 10 s, so a test of retries stays fast.
    """

    def _dump(source: SourceDatabase, query: str, table_id: str, **options: Any) -> Any:
        parameters: dict[str, Any] = {
            "db_type": source.db_type,
            "db_host": HOST,
            "db_port": source.port,
            "db_database": "test",
            "vault_secret_path": credentials_for(source.db_type),
            "execute_query": query,
            "dataset_id": DATASET_ID,
            "table_id": table_id,
            "retry_delay_seconds": 0,
        }
        parameters.update(options)
        return dump_sql_to_datalake.run(**parameters)

    return _dump
