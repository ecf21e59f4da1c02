"""Template flow: a file from a URL into `<dataset_id>_staging.<table_id>`, then dbt.

Orgaos copy `dump_url_flow` (see the package docstring for its parameters).
"""

from prefect import Parameter, case

from pipelines.utils.decorators import Flow
from pipelines.utils.dump_url.tasks import download_data_to_file, dump_file_to_datalake
from pipelines.utils.execute_dbt_model.tasks import (
    check_materialization_mode,
    run_dbt_model,
)

with Flow(
    "EMD: template - Ingerir arquivo de URL",
    code_owners=["escritorio"],
) as dump_url_flow:
    url = Parameter("url")
    dataset_id = Parameter("dataset_id")
    table_id = Parameter("table_id")
    dump_mode = Parameter("dump_mode", default="append")
    partition_columns = Parameter("partition_columns", default=None, required=False)
    partition_date_format = Parameter(
        "partition_date_format", default=None, required=False
    )
    encoding = Parameter("encoding", default=None, required=False)
    delimiter = Parameter("delimiter", default=None, required=False)
    decimal = Parameter("decimal", default=None, required=False)
    materialize_after_dump = Parameter("materialize_after_dump", default=False)
    materialization_mode = Parameter("materialization_mode", default="dev")
    timeout_seconds = Parameter("timeout_seconds", default=60.0)

    mode_checked = check_materialization_mode(materialization_mode)
    file_path = download_data_to_file(
        url=url, timeout_seconds=timeout_seconds, upstream_tasks=[mode_checked]
    )
    staging = dump_file_to_datalake(
        path=file_path,
        dataset_id=dataset_id,
        table_id=table_id,
        dump_mode=dump_mode,
        partition_columns=partition_columns,
        partition_date_format=partition_date_format,
        encoding=encoding,
        delimiter=delimiter,
        decimal=decimal,
    )

    with case(materialize_after_dump, True):
        run_dbt_model(
            dataset_id=dataset_id,
            table_id=table_id,
            materialization_mode=materialization_mode,
            upstream_tasks=[staging],
        )
