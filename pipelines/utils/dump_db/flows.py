"""Template flow: a SQL table into `<dataset_id>_staging.<table_id>`, optionally materialized.

Orgaos do not register `dump_sql_flow` itself: they deepcopy it, name it, give it
a run config and a schedule built by `pipelines.utils.schedules.generate_dump_db_schedules`.
"""

from prefect import Parameter, case

from pipelines.utils.decorators import Flow
from pipelines.utils.dump_db.parameters import DEFAULT_BATCH_SIZE, DEFAULT_DUMP_MODE
from pipelines.utils.dump_db.tasks import dump_sql_to_datalake
from pipelines.utils.execute_dbt_model.tasks import (
    check_materialization_mode,
    run_dbt_model,
)

with Flow(
    "EMD: template - Ingerir tabela de banco SQL",
    code_owners=["escritorio"],
) as dump_sql_flow:
    db_type = Parameter("db_type")
    db_host = Parameter("db_host")
    db_port = Parameter("db_port", default=None, required=False)
    db_database = Parameter("db_database")
    vault_secret_path = Parameter("vault_secret_path")
    execute_query = Parameter("execute_query")
    dataset_id = Parameter("dataset_id")
    table_id = Parameter("table_id")
    dump_mode = Parameter("dump_mode", default=DEFAULT_DUMP_MODE)
    partition_columns = Parameter("partition_columns", default=None, required=False)
    partition_date_format = Parameter(
        "partition_date_format", default=None, required=False
    )
    lower_bound_date = Parameter("lower_bound_date", default=None, required=False)
    batch_size = Parameter("batch_size", default=DEFAULT_BATCH_SIZE)
    materialize_after_dump = Parameter("materialize_after_dump", default=False)
    materialization_mode = Parameter("materialization_mode", default="dev")

    mode_checked = check_materialization_mode(materialization_mode)
    staging = dump_sql_to_datalake(
        upstream_tasks=[mode_checked],
        db_type=db_type,
        db_host=db_host,
        db_port=db_port,
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

    with case(materialize_after_dump, True):
        run_dbt_model(
            dataset_id=dataset_id,
            table_id=table_id,
            materialization_mode=materialization_mode,
            upstream_tasks=[staging],
        )
