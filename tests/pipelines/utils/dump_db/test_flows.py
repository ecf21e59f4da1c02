"""The template flow, the way orgaos copy it, and whole flow runs on PostgreSQL."""

import copy
import inspect
from pathlib import Path
from typing import Any, Callable

import pytest
from prefect.run_configs import KubernetesRun

from pipelines.constants import constants
from pipelines.rj_escritorio.dump_db_exemplo.flows import dump_db_exemplo_flow
from pipelines.utils.datalake import get_datalake
from pipelines.utils.dump_db.flows import dump_sql_flow
from pipelines.utils.dump_db.tasks import dump_sql_to_datalake
from pipelines.utils.dump_db.utils import set_default_parameters
from pipelines.utils.exceptions import InvalidParameterError
from pipelines.utils.reports import DataReport
from tests.pipelines.utils.dump_db.databases import SourceDatabase, partition_folders

PARAMETERS = {
    "db_type": None,
    "db_host": None,
    "db_port": None,
    "db_database": None,
    "vault_secret_path": None,
    "execute_query": None,
    "dataset_id": None,
    "table_id": None,
    "dump_mode": "append",
    "partition_columns": None,
    "partition_date_format": None,
    "lower_bound_date": None,
    "batch_size": 100_000,
    "materialize_after_dump": False,
    "materialization_mode": "dev",
}
REQUIRED = {
    "db_type",
    "db_host",
    "db_database",
    "vault_secret_path",
    "execute_query",
    "dataset_id",
    "table_id",
}


def test_dump_sql_flow_declares_every_parameter_with_its_default() -> None:
    parameters = {parameter.name: parameter for parameter in dump_sql_flow.parameters()}

    assert dump_sql_flow.name == "EMD: template - Ingerir tabela de banco SQL"
    assert dump_sql_flow.code_owners == ["escritorio"]
    assert {
        name: parameter.default for name, parameter in parameters.items()
    } == PARAMETERS
    assert {
        name for name, parameter in parameters.items() if parameter.required
    } == REQUIRED


@pytest.mark.parametrize(
    "copier", [copy.deepcopy, lambda flow: flow.copy()], ids=["deepcopy", "copy"]
)
def test_dump_sql_flow_copies_keep_code_owners(copier: Callable[[Any], Any]) -> None:
    flow_copy = copier(dump_sql_flow)
    flow_copy.code_owners.append("paty")

    assert flow_copy.code_owners == ["escritorio", "paty"]
    assert dump_sql_flow.code_owners == ["escritorio"]


def test_set_default_parameters_changes_only_the_copy() -> None:
    flow_copy = copy.deepcopy(dump_sql_flow)

    set_default_parameters(flow_copy, {"db_type": "mysql", "batch_size": 5_000})

    defaults = {parameter.name: parameter for parameter in flow_copy.parameters()}
    assert (defaults["db_type"].default, defaults["db_type"].required) == (
        "mysql",
        False,
    )
    assert defaults["batch_size"].default == 5_000
    template = {parameter.name: parameter for parameter in dump_sql_flow.parameters()}
    assert (template["db_type"].default, template["db_type"].required) == (None, True)


def test_set_default_parameters_rejects_a_key_the_flow_lacks() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"sets 'bach_size' \(did you mean 'batch_size'\?\), which flow .* does not "
        r"have as parameter\(s\); its parameters are \['batch_size'",
    ):
        set_default_parameters(copy.deepcopy(dump_sql_flow), {"bach_size": 5_000})


def test_example_flow_is_a_configured_copy_of_the_template() -> None:
    flow = dump_db_exemplo_flow

    assert flow is not dump_sql_flow
    assert flow.name == "EMD: dump_db_exemplo - Ingerir tabelas de exemplo"
    assert flow.code_owners == ["escritorio"]
    assert isinstance(flow.run_config, KubernetesRun)
    assert flow.run_config.image == constants.DOCKER_IMAGE_NAME.value
    assert flow.run_config.labels == {constants.RJ_ESCRITORIO_AGENT_LABEL.value}
    tables = [clock.parameter_defaults["table_id"] for clock in flow.schedule.clocks]
    assert tables == ["calendario", "tabelas_banco"]
    assert all(
        clock.labels == [constants.RJ_ESCRITORIO_AGENT_LABEL.value]
        for clock in flow.schedule.clocks
    )
    # the copy's tasks are its own: the template still has the same tasks, unscheduled
    assert dump_sql_flow.schedule is None
    assert not set(flow.tasks) & set(dump_sql_flow.tasks)


def test_dump_sql_flow_runs_a_postgres_table_into_the_datalake(
    postgres_source: SourceDatabase,
    credentials_for: Callable[..., str],
    isolated_datalake: Path,
) -> None:
    table = postgres_source.table("chamado")
    postgres_source.execute(
        f"CREATE TABLE {table} AS SELECT g AS id_chamado, date '2024-01-01' + g % 3 AS dia "
        "FROM generate_series(1, 30) AS g"
    )

    state = dump_sql_flow.run(
        parameters={
            "db_type": "postgresql",
            "db_host": "127.0.0.1",
            "db_database": "test",
            "vault_secret_path": credentials_for("postgresql"),
            "execute_query": f"SELECT * FROM {table}",
            "dataset_id": "teste_dump_db",
            "table_id": "chamado_fluxo",
            "partition_columns": "dia",
        },
        run_on_schedule=False,
    )

    assert state.is_successful(), state.message
    report = state.result[flow_task(dump_sql_flow, "dump_sql_to_datalake")].result
    assert isinstance(report, DataReport)
    assert (report.table, report.rows) == ("teste_dump_db_staging.chamado_fluxo", 30)
    assert state.result[flow_task(dump_sql_flow, "run_dbt_model")].is_skipped()
    assert len(partition_folders(isolated_datalake, "chamado_fluxo")) == 3


@pytest.mark.usefixtures("isolated_datalake")
def test_dump_sql_flow_materializes_after_dump(
    postgres_source: SourceDatabase, credentials_for: Callable[..., str]
) -> None:
    """The dbt model `adm_central_atendimento_1746.chamado` of `queries/` reads what
    dump_db wrote into its staging table."""
    table = postgres_source.table("chamado_1746")
    postgres_source.execute(
        f"CREATE TABLE {table} AS SELECT g AS id_chamado, "
        "timestamp '2023-04-01 08:00' + g * interval '1 hour' AS data_inicio, "
        "g % 5 + 1 AS id_bairro, '  Iluminação pública ' AS tipo FROM generate_series(1, 12) AS g"
    )

    state = dump_sql_flow.run(
        parameters={
            "db_type": "postgresql",
            "db_host": "127.0.0.1",
            "db_database": "test",
            "vault_secret_path": credentials_for("postgresql"),
            "execute_query": f"SELECT * FROM {table}",
            "dataset_id": "adm_central_atendimento_1746",
            "table_id": "chamado",
            "dump_mode": "overwrite",
            "partition_columns": "data_inicio",
            "materialize_after_dump": True,
            "materialization_mode": "dev",
        },
        run_on_schedule=False,
    )

    assert state.is_successful(), state.message
    rows = get_datalake().query(
        "select count(*) as n, min(tipo) as tipo from adm_central_atendimento_1746_dev.chamado"
    )
    assert rows == [{"n": 12, "tipo": "Iluminação pública"}]


@pytest.mark.usefixtures("vault_env")
def test_example_flow_runs_the_scheduled_calendar_table(
    write_secret: Callable[..., str], isolated_datalake: Path
) -> None:
    write_secret({"username": "postgres", "password": ""}, path="dump_db_exemplo")
    clock = dump_db_exemplo_flow.schedule.clocks[0]

    state = dump_db_exemplo_flow.run(
        parameters={**clock.parameter_defaults, "lower_bound_date": "2024-03-01"},
        run_on_schedule=False,
    )

    assert state.is_successful(), state.message
    folders = partition_folders(isolated_datalake, "calendario", "exemplo_dump_db")
    assert folders[0] == "data_particao=2024-03-01"


def test_dump_task_reads_credentials_only_from_vault() -> None:
    """The task takes no username or password: only the path of a Vault secret."""
    names = set(inspect.signature(dump_sql_to_datalake.run).parameters)

    assert "vault_secret_path" in names
    assert not names & {"user", "username", "password", "db_user", "db_password"}


def flow_task(flow: Any, name: str) -> Any:
    """The one task of `flow` named `name`."""
    (task,) = [task for task in flow.tasks if task.name == name]
    return task


def test_dump_sql_flow_unknown_materialization_mode_fails_before_dumping() -> None:
    state = dump_sql_flow.run(
        parameters={
            "db_type": "postgresql",
            "db_host": "127.0.0.1",
            "db_database": "test",
            "vault_secret_path": "nao_lido",  # pragma: allowlist secret  # a path
            "execute_query": "SELECT 1 AS um",
            "dataset_id": "exemplo",
            "table_id": "nunca_escrita",
            "materialization_mode": "prd",
        },
        run_on_schedule=False,
    )
    assert state.is_failed()
    dump_state = next(
        task_state
        for task, task_state in state.result.items()
        if task.name == "dump_sql_to_datalake"
    )
    assert dump_state.is_failed() and "Trigger" in type(dump_state).__name__
    assert get_datalake().count_staging_rows("exemplo", "nunca_escrita") == 0
