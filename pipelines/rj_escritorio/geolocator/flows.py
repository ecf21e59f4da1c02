"""Geolocator flow: a day of 1746 calls into the datalake, counted per bairro with dbt.

Loads the calls CSV into `adm_central_atendimento_1746_staging.chamado` (partitioned
by the call's date), then materializes `chamados_por_bairro_tipo` joined with the
official bairro table (`dados_mestres.bairro`).
"""

from prefect import Parameter, case

from pipelines.rj_escritorio.geolocator.constants import constants
from pipelines.rj_escritorio.geolocator.schedules import every_day_at_four_am
from pipelines.rj_escritorio.geolocator.tasks import summarize_calls_per_bairro
from pipelines.utils.decorators import Flow
from pipelines.utils.dump_url.tasks import download_data_to_file, dump_file_to_datalake
from pipelines.utils.execute_dbt_model.tasks import (
    check_materialization_mode,
    run_dbt_model,
)

with Flow(
    "EMD: escritorio - Geolocalizacao de chamados 1746",
    code_owners=[
        "paty",
    ],
) as daily_geolocator_flow:
    url = Parameter("url", default=constants.CHAMADOS_URL.value)
    dataset_id = Parameter("dataset_id", default=constants.DATASET_ID.value)
    table_id = Parameter("table_id", default=constants.TABLE_ID.value)
    dump_mode = Parameter("dump_mode", default="overwrite")
    materialize_after_dump = Parameter("materialize_after_dump", default=True)
    materialization_mode = Parameter("materialization_mode", default="dev")

    mode_checked = check_materialization_mode(materialization_mode)
    file_path = download_data_to_file(url=url, upstream_tasks=[mode_checked])
    staging = dump_file_to_datalake(
        path=file_path,
        dataset_id=dataset_id,
        table_id=table_id,
        dump_mode=dump_mode,
        partition_columns=constants.PARTITION_DATE_COLUMN.value,
    )

    with case(materialize_after_dump, True):
        tables = run_dbt_model(
            dataset_id=dataset_id,
            table_id=constants.MATERIALIZED_TABLE_ID.value,
            materialization_mode=materialization_mode,
            upstream_tasks=[staging],
        )
        summarize_calls_per_bairro(
            dataset_id=dataset_id,
            table_id=constants.MATERIALIZED_TABLE_ID.value,
            materialization_mode=materialization_mode,
            upstream_tasks=[tables],
        )

daily_geolocator_flow.schedule = every_day_at_four_am
