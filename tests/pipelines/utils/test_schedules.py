"""generate_dump_db_schedules: one clock per table, staggered, every key checked."""

import copy
from datetime import datetime, timedelta
from typing import Any

import pendulum
import pytest
from prefect.schedules import Schedule

from pipelines.utils.dump_db.flows import dump_sql_flow
from pipelines.utils.dump_db.utils import set_default_parameters
from pipelines.utils.exceptions import InvalidParameterError, UnknownDatabaseTypeError
from pipelines.utils.schedules import generate_dump_db_schedules

START = pendulum.datetime(2024, 1, 1, 3, 0, tz="America/Sao_Paulo")
COMMON: dict[str, Any] = {
    "db_database": "sigma",
    "db_host": "10.0.0.5",
    "db_port": 5432,
    "db_type": "postgresql",
    "dataset_id": "adm_sigma",
    "vault_secret_path": "sigma_db",  # pragma: allowlist secret  # a Vault path
}
TABLES = {
    "chamado": {
        "execute_query": "SELECT * FROM public.chamado",
        "partition_columns": "data_abertura",
        "lower_bound_date": "last_partition",
    },
    "bairro": {
        "execute_query": "SELECT * FROM public.bairro",
        "dump_mode": "overwrite",
    },
    "orgao": {"execute_query": "SELECT * FROM public.orgao", "dump_mode": "overwrite"},
}


def schedules(**changes: Any) -> list:
    """The clocks for `TABLES` and `COMMON`, with some arguments changed."""
    arguments = {
        "interval": timedelta(days=1),
        "start_date": START,
        "labels": ["rj-escritorio"],
        **COMMON,
        "table_parameters": TABLES,
        **changes,
    }
    return generate_dump_db_schedules(
        arguments.pop("interval"),
        arguments.pop("start_date"),
        arguments.pop("labels"),
        **arguments,
    )


def test_generate_dump_db_schedules_staggers_one_clock_per_table() -> None:
    clocks = schedules(runs_interval_minutes=20)

    assert [clock.start_date for clock in clocks] == [
        START,
        START + timedelta(minutes=20),
        START + timedelta(minutes=40),
    ]
    assert all(clock.interval == timedelta(days=1) for clock in clocks)
    assert all(clock.labels == ["rj-escritorio"] for clock in clocks)
    assert clocks[0].parameter_defaults == {
        **COMMON,
        "table_id": "chamado",
        "execute_query": "SELECT * FROM public.chamado",
        "partition_columns": "data_abertura",
        "lower_bound_date": "last_partition",
    }
    assert clocks[1].parameter_defaults["dump_mode"] == "overwrite"


def test_generate_dump_db_schedules_clocks_fire_apart_in_a_schedule() -> None:
    schedule = Schedule(clocks=schedules())

    events = schedule.next(
        3,
        after=pendulum.datetime(2024, 2, 1, tz="America/Sao_Paulo"),
        return_events=True,
    )

    starts = [
        pendulum.instance(event.start_time).in_tz("America/Sao_Paulo")
        for event in events
    ]
    assert [(start.hour, start.minute) for start in starts] == [
        (3, 0),
        (3, 15),
        (3, 30),
    ]
    assert [event.parameter_defaults["table_id"] for event in events] == [
        "chamado",
        "bairro",
        "orgao",
    ]


def test_generate_dump_db_schedules_rejects_a_key_the_flow_lacks() -> None:
    tables = {"chamado": {"execute_query": "SELECT 1", "partition_column": "data"}}

    with pytest.raises(
        InvalidParameterError,
        match=r"Table 'chamado' of the schedule of 'EMD: template - Ingerir tabela de banco "
        r"SQL' sets 'partition_column' \(did you mean 'partition_columns'\?\), which flow .* "
        r"does not have",
    ):
        schedules(table_parameters=tables)


def test_generate_dump_db_schedules_checks_keys_against_the_copied_flow() -> None:
    flow = copy.deepcopy(dump_sql_flow)
    flow.name = "EMD: sigma - Ingerir tabelas"

    with pytest.raises(
        InvalidParameterError, match=r"'EMD: sigma - Ingerir tabelas' sets 'nome'"
    ):
        schedules(
            flow=flow,
            table_parameters={"chamado": {"execute_query": "SELECT 1", "nome": 1}},
        )


def test_generate_dump_db_schedules_requires_each_required_parameter() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"Table 'bairro' .* lacks required parameter\(s\) \['execute_query'\]",
    ):
        schedules(table_parameters={"bairro": {"dump_mode": "overwrite"}})


def test_generate_dump_db_schedules_takes_defaults_from_the_copied_flow() -> None:
    flow = set_default_parameters(
        copy.deepcopy(dump_sql_flow), {"execute_query": "SELECT * FROM public.padrao"}
    )

    clocks = schedules(flow=flow, table_parameters={"padrao": {}})

    assert "execute_query" not in clocks[0].parameter_defaults


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (
            {"db_type": "postgress"},
            UnknownDatabaseTypeError,
            r"db_type='postgress' is not supported",
        ),
        (
            {
                "table_parameters": {
                    "x": {"execute_query": "SELECT 1", "dump_mode": "merge"}
                }
            },
            InvalidParameterError,
            r"dump_mode='merge' is not supported",
        ),
        (
            {"table_parameters": {"Tabela": {"execute_query": "SELECT 1"}}},
            InvalidParameterError,
            r"table_id='Tabela' is not a valid identifier",
        ),
        (
            {"table_parameters": {"x": {"table_id": "y", "execute_query": "SELECT 1"}}},
            InvalidParameterError,
            r"sets 'table_id' again",
        ),
        (
            {"table_parameters": {"x": "SELECT 1"}},
            InvalidParameterError,
            r"has parameters 'SELECT 1'; expected a dict",
        ),
        ({"table_parameters": {}}, InvalidParameterError, r"table_parameters is empty"),
        (
            {"labels": []},
            InvalidParameterError,
            r"labels=\[\]; expected a list with the agent label",
        ),
        ({"labels": "rj-escritorio"}, InvalidParameterError, r"labels='rj-escritorio'"),
        (
            {"start_date": datetime(2024, 1, 1, 3)},
            InvalidParameterError,
            r"has no time zone.*pendulum.datetime",
        ),
        (
            {"runs_interval_minutes": -5},
            InvalidParameterError,
            r"runs_interval_minutes=-5; expected a whole number",
        ),
    ],
    ids=lambda value: str(value)[:30],
)
def test_generate_dump_db_schedules_rejects_bad_input(
    changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        schedules(**changes)
