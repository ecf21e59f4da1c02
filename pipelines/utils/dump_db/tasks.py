"""The dump_db task: a SQL query's rows into `<dataset_id>_staging.<table_id>`."""

from typing import Any

import prefect
from prefect import task

from pipelines.utils.dump_db.dump import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RETRY_DELAY_SECONDS,
)
from pipelines.utils.dump_db.parameters import DEFAULT_BATCH_SIZE, DEFAULT_DUMP_MODE
from pipelines.utils.reports import DataReport


@task(checkpoint=False)
def dump_sql_to_datalake(  # pylint: disable=too-many-arguments,too-many-locals  # flow params
    db_type: str,
    db_host: str,
    db_port: int | str | None,
    *,
    db_database: str,
    vault_secret_path: str,
    execute_query: str,
    dataset_id: str,
    table_id: str,
    dump_mode: str = DEFAULT_DUMP_MODE,
    partition_columns: str | list[str] | None = None,
    partition_date_format: str | None = None,
    lower_bound_date: Any = None,
    batch_size: int | str = DEFAULT_BATCH_SIZE,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    retry_delay_seconds: float = DEFAULT_RETRY_DELAY_SECONDS,
) -> DataReport:
    """Streams a SQL query's rows into the datalake's staging table, typed, in batches.

    Reads: `execute_query` on the database (read-only on PostgreSQL), logging in with
    the `username` and `password` of the Vault secret `vault_secret_path`. Writes:
    the staging files of `<dataset_id>_staging.<table_id>`, published at once when
    every row was read; on any error nothing is published and the previous data
    stays whole. Re-running is safe: `overwrite` replaces the table, `append`
    replaces the partitions it writes (an unpartitioned append adds only files
    whose content is new).

    Args:
        db_type: `postgresql`, `mysql` (MariaDB too), `sql_server` or `oracle`.
        db_host: the database host.
        db_port: its port; empty for the engine's default.
        db_database: the database (Oracle: the service name).
        vault_secret_path: the Vault secret with `username` and `password`.
        execute_query: the SELECT to dump.
        dataset_id: the datalake dataset.
        table_id: the datalake table.
        dump_mode: `append` or `overwrite`.
        partition_columns: a date column to partition by (`ano_particao`,
            `mes_particao`, `data_particao`), or None.
        partition_date_format: `strptime` format when that column is text.
        lower_bound_date: dump only rows whose partition date is on or after it:
            `YYYY-MM-DD`, `last_partition` (the newest partition already stored),
            `current_day`, `current_month` or `current_year`; None for every row.
        batch_size: rows per batch read and per file written.
        max_attempts: attempts when the connection breaks or the server does not
            answer, each from a clean state.
        retry_delay_seconds: wait before the second attempt, doubled after.

    Returns:
        Where the data landed and how many rows the table holds.

    Raises:
        UnknownDatabaseTypeError: `db_type` is not supported.
        InvalidParameterError: another parameter is invalid.
        VaultSecretError: the credentials could not be read.
        DatabaseConnectionError: login refused, server unreachable, connection lost.
        DatabaseQueryError: the database refused or failed the query.
        PartitionValueError: rows without a valid partition date.
    """

    from pipelines.utils.dump_db.dump import run_dump
    from pipelines.utils.dump_db.parameters import build_dump_request
    from pipelines.utils.vault import get_username_and_password_from_secret

    logger = prefect.context.get("logger")
    request = build_dump_request(
        db_type,
        db_host,
        db_port,
        db_database=db_database,
        vault_secret_path=vault_secret_path,
        execute_query=execute_query,
        dataset_id=dataset_id,
        table_id=table_id,
        dump_mode=dump_mode,
        partition_columns=partition_columns,
        partition_date_format=partition_date_format,
        lower_bound_date=lower_bound_date,
        batch_size=batch_size,
    )
    # NOTE: the login is read here, not in an upstream task, so it is never a task
    # result that a result backend could store.
    username, password = get_username_and_password_from_secret(
        request.vault_secret_path
    )
    return run_dump(
        request,
        username,
        password,
        logger=logger,
        max_attempts=max_attempts,
        retry_delay_seconds=retry_delay_seconds,
    )
