"""Template flow that materializes one dbt model; orgaos copy it and set its name."""

from prefect import Parameter

from pipelines.utils.decorators import Flow
from pipelines.utils.execute_dbt_model.tasks import run_dbt_model

with Flow(
    "EMD: template - Materializar tabela com dbt",
    code_owners=["escritorio"],
) as run_dbt_model_flow:
    dataset_id = Parameter("dataset_id")
    table_id = Parameter("table_id")
    materialization_mode = Parameter("materialization_mode", default="dev")
    dbt_select = Parameter("dbt_select", default=None, required=False)
    dbt_command = Parameter("dbt_command", default="build")

    run_dbt_model(
        dataset_id=dataset_id,
        table_id=table_id,
        materialization_mode=materialization_mode,
        dbt_select=dbt_select,
        dbt_command=dbt_command,
    )
