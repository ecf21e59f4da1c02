"""Schedule helpers: one clock per table for flows copied from dump_db, staggered in time.

An orgao that dumps many tables of one database registers one flow and gives it one
`IntervalClock` per table; the clocks start `runs_interval_minutes` apart, so the
tables are not all read from the database at the same minute.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from prefect import Flow
from prefect.schedules.clocks import IntervalClock

from pipelines.utils.dump_db.flows import dump_sql_flow
from pipelines.utils.dump_db.utils import check_parameter_names
from pipelines.utils.exceptions import InvalidParameterError


def generate_dump_db_schedules(  # pylint: disable=too-many-arguments,too-many-locals  # shared params
    interval: timedelta,
    start_date: datetime,
    labels: list[str],
    *,
    db_database: str,
    db_host: str,
    db_port: int | str | None,
    db_type: str,
    dataset_id: str,
    vault_secret_path: str,
    table_parameters: Mapping[str, Mapping[str, Any]],
    flow: Flow = dump_sql_flow,
    runs_interval_minutes: int = 15,
) -> list[IntervalClock]:
    """Builds one clock per table, each `runs_interval_minutes` after the previous one.

    Every clock carries the database parameters, `table_id` (the key of
    `table_parameters`) and that table's own parameters (`execute_query`,
    `dump_mode`, `partition_columns`, ...), which may also override the common ones.
    Each clock's parameters are validated as the dump would validate them, so a bad
    value fails when the schedule is built, not at 3 a.m.

    Args:
        interval: time between two runs of each table, e.g. `timedelta(days=1)`.
        start_date: zone-aware start of the first table's clock, e.g.
            `pendulum.datetime(2021, 1, 1, 3, tz="America/Sao_Paulo")`.
        labels: the agent labels that run the flow.
        db_database: the database (Oracle: the service name).
        db_host: its host.
        db_port: its port; None for the engine's default.
        db_type: `postgresql`, `mysql`, `sql_server` or `oracle`.
        dataset_id: the datalake dataset of every table.
        vault_secret_path: the Vault secret with `username` and `password`.
        table_parameters: table_id -> parameters of that table's runs.
        flow: the flow whose parameters the keys must be; `dump_sql_flow` or a copy.
        runs_interval_minutes: minutes between the start of two tables' clocks.

    Returns:
        The clocks, in the order of `table_parameters`, for `Schedule(clocks=...)`.

    Raises:
        InvalidParameterError: a key is not a parameter of the flow (a typo is an
            error, not a silently ignored key), a required parameter is missing, or
            a value is invalid for the dump.
        UnknownDatabaseTypeError: `db_type` is not supported.
    """
    from pipelines.utils.dump_db.parameters import build_dump_request

    _check_schedule_arguments(
        start_date,
        labels,
        table_parameters,
        runs_interval_minutes=runs_interval_minutes,
    )
    common = {
        "db_database": db_database,
        "db_host": db_host,
        "db_port": db_port,
        "db_type": db_type,
        "dataset_id": dataset_id,
        "vault_secret_path": vault_secret_path,
    }
    defaults = {parameter.name: parameter.default for parameter in flow.parameters()}
    required = sorted(
        parameter.name for parameter in flow.parameters() if parameter.required
    )
    clocks = []
    for position, (table_id, own) in enumerate(table_parameters.items()):
        where = f"Table {table_id!r} of the schedule of {flow.name!r}"
        if not isinstance(own, Mapping):
            raise InvalidParameterError(
                f"{where} has parameters {own!r}; expected a dict such as "
                "{'execute_query': 'SELECT ...', 'dump_mode': 'overwrite'}."
            )
        if "table_id" in own:
            raise InvalidParameterError(
                f"{where} sets 'table_id' again; the key of table_parameters is the "
                "table_id. Remove it from the table's parameters."
            )
        check_parameter_names(flow, own, where)
        parameters = {**common, "table_id": table_id, **own}
        missing = [name for name in required if parameters.get(name) in (None, "")]
        if missing:
            raise InvalidParameterError(
                f"{where} lacks required parameter(s) {missing!r}; add them to its "
                "parameters (or to the common arguments)."
            )
        _validate_dump_parameters(build_dump_request, {**defaults, **parameters})
        clocks.append(
            IntervalClock(
                interval=interval,
                start_date=start_date
                + timedelta(minutes=position * runs_interval_minutes),
                labels=list(labels),
                parameter_defaults=parameters,
            )
        )
    return clocks


def _check_schedule_arguments(
    start_date: datetime,
    labels: list[str],
    table_parameters: Mapping[str, Any],
    *,
    runs_interval_minutes: int,
) -> None:
    if start_date.tzinfo is None:
        raise InvalidParameterError(
            f"start_date={start_date!r} has no time zone; a naive date is read as UTC "
            "by Prefect. Use pendulum.datetime(..., tz='America/Sao_Paulo')."
        )
    if not labels or isinstance(labels, str):
        raise InvalidParameterError(
            f"labels={labels!r}; expected a list with the agent label that runs the "
            "flow, e.g. [constants.RJ_ESCRITORIO_AGENT_LABEL.value]."
        )
    if not table_parameters:
        raise InvalidParameterError(
            "table_parameters is empty; expected one entry per table, "
            "{'<table_id>': {'execute_query': 'SELECT ...'}}."
        )
    if isinstance(runs_interval_minutes, bool) or not (
        isinstance(runs_interval_minutes, int) and runs_interval_minutes >= 0
    ):
        raise InvalidParameterError(
            f"runs_interval_minutes={runs_interval_minutes!r}; expected a whole number of "
            "minutes, 0 or more."
        )


def _validate_dump_parameters(build: Any, parameters: dict[str, Any]) -> None:
    """Validates one clock's parameters as the dump task will receive them."""
    keys = (
        "db_database",
        "vault_secret_path",
        "execute_query",
        "dataset_id",
        "table_id",
        "dump_mode",
        "partition_columns",
        "partition_date_format",
        "lower_bound_date",
        "batch_size",
    )
    build(
        parameters.get("db_type"),
        parameters.get("db_host"),
        parameters.get("db_port"),
        **{key: parameters.get(key) for key in keys},
    )
