"""Validation of the dump_db parameters: every bad value is refused before Vault or
the database is contacted, with a message that names it and says what is accepted."""

from datetime import date
from typing import Any

import pytest

from pipelines.utils.dump_db.parameters import (
    LAST_PARTITION,
    build_dump_request,
    clean_query,
)
from pipelines.utils.exceptions import InvalidParameterError, UnknownDatabaseTypeError

VALID: dict[str, Any] = {
    "db_type": "postgresql",
    "db_host": "10.0.0.5",
    "db_port": None,
    "db_database": "sigma",
    "vault_secret_path": "sigma_db",  # pragma: allowlist secret  # a Vault path
    "execute_query": "SELECT * FROM chamado;",
    "dataset_id": "adm_central_atendimento_1746",
    "table_id": "chamado",
}


def request_with(**changes: Any) -> Any:
    """Validates `VALID` with some values changed, on 2024-05-17."""
    parameters = {**VALID, **changes}
    positional = [parameters.pop(name) for name in ("db_type", "db_host", "db_port")]
    return build_dump_request(*positional, today=date(2024, 5, 17), **parameters)


def test_build_dump_request_applies_defaults_and_normalizes() -> None:
    request = request_with(db_type=" PostgreSQL ", execute_query="  SELECT 1 ;; ")

    assert (request.db_type, request.port, request.query) == (
        "postgresql",
        5432,
        "SELECT 1",
    )
    assert (request.dump_mode, request.batch_size, request.lower_bound) == (
        "append",
        100_000,
        None,
    )


@pytest.mark.parametrize(
    ("db_type", "port"), [("mysql", 3306), ("sql_server", 1433), ("oracle", 1521)]
)
def test_build_dump_request_uses_each_engine_default_port(
    db_type: str, port: int
) -> None:
    assert request_with(db_type=db_type).port == port


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("last_partition", LAST_PARTITION),
        ("current_day", date(2024, 5, 17)),
        ("current_month", date(2024, 5, 1)),
        ("current_year", date(2024, 1, 1)),
        (date(2023, 1, 1), date(2023, 1, 1)),
    ],
)
def test_build_dump_request_reads_lower_bounds(value: Any, expected: Any) -> None:
    request = request_with(partition_columns="data", lower_bound_date=value)

    assert request.lower_bound == expected


def test_build_dump_request_accepts_numbers_typed_as_text() -> None:
    request = request_with(
        db_port="15432", batch_size="50_000", partition_columns=["data"]
    )

    assert (request.port, request.batch_size, request.partition_column) == (
        15432,
        50_000,
        "data",
    )


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (
            {"db_type": "mongodb"},
            UnknownDatabaseTypeError,
            r"expected one of \('postgresql', 'mysql', 'sql_server', 'oracle'\)",
        ),
        (
            {"dump_mode": "replace"},
            InvalidParameterError,
            r"dump_mode='replace' is not supported; expected one of \('append', 'overwrite'\)",
        ),
        (
            {"batch_size": 0},
            InvalidParameterError,
            r"batch_size=0 is not a number of rows from 1 to 5,000,000",
        ),
        (
            {"batch_size": "muitos"},
            InvalidParameterError,
            r"batch_size='muitos' is not a number of rows",
        ),
        (
            {"batch_size": True},
            InvalidParameterError,
            r"batch_size=True is not a number of rows",
        ),
        (
            {"db_port": "porta"},
            InvalidParameterError,
            r"db_port='porta' is not a port; expected a number from 1 to 65535, or "
            r"empty for the postgresql default \(5432\)",
        ),
        ({"db_port": 70000}, InvalidParameterError, r"db_port=70000 is not a port"),
        (
            {"db_host": " "},
            InvalidParameterError,
            r"db_host=' ' is empty; expected .*Set it in the flow's default parameters",
        ),
        (
            {"vault_secret_path": None},
            InvalidParameterError,
            r"vault_secret_path=None is empty",
        ),
        (
            {"execute_query": " ; "},
            InvalidParameterError,
            r"execute_query=' ; ' is empty; expected the SELECT",
        ),
        (
            {"dataset_id": "Dados-Brutos"},
            InvalidParameterError,
            r"dataset_id='Dados-Brutos' is not a valid identifier",
        ),
        (
            {"partition_columns": "data,hora"},
            InvalidParameterError,
            r"partition_columns='data,hora' must name exactly one date column",
        ),
        (
            {"partition_date_format": "%d/%m/%Y"},
            InvalidParameterError,
            r"partition_date_format='%d/%m/%Y' was given without partition_columns",
        ),
        (
            {"lower_bound_date": "2024-01-01"},
            InvalidParameterError,
            r"lower_bound_date='2024-01-01' needs partition_columns",
        ),
        (
            {"partition_columns": "data", "lower_bound_date": "01/02/2024"},
            InvalidParameterError,
            r"lower_bound_date='01/02/2024' is not a date; expected 'YYYY-MM-DD'",
        ),
        (
            {"partition_columns": "data", "lower_bound_date": "2024-02-30"},
            InvalidParameterError,
            r"lower_bound_date='2024-02-30' is not a date",
        ),
        (
            {
                "partition_columns": "data",
                "lower_bound_date": "last_partition",
                "dump_mode": "overwrite",
            },
            InvalidParameterError,
            r"with dump_mode='overwrite' would replace the whole table",
        ),
    ],
    ids=lambda value: str(value)[:40],
)
def test_build_dump_request_rejects_bad_values(
    changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        request_with(**changes)


def test_clean_query_keeps_inner_semicolons() -> None:
    assert clean_query("SELECT ';' AS x;\n") == "SELECT ';' AS x"
