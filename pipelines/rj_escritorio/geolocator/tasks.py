"""Tasks of the geolocator project."""

import prefect
from prefect import task

from pipelines.utils.reports import DataReport


@task(checkpoint=False)
def summarize_calls_per_bairro(
    dataset_id: str, table_id: str, materialization_mode: str
) -> DataReport:
    """Counts the calls in the materialized table, and those without a bairro.

    Reads: `<dataset_id>.<table_id>` (calls per bairro and service type) in the
    schema of `materialization_mode`. Writes nothing; safe to re-run.

    Returns:
        A report whose rows are the calls, with the calls without a bairro and the
        number of bairros with calls in its details.
    """
    from pipelines.utils.datalake import get_datalake

    datalake = get_datalake()
    table = datalake.materialized_table(dataset_id, table_id, materialization_mode)
    summary = datalake.query(
        "select sum(quantidade_chamados) as chamados, "
        "sum(case when id_bairro is null then quantidade_chamados else 0 end) "
        "as chamados_sem_bairro, count(distinct id_bairro) as bairros "
        f"from {table}"
    )[0]
    prefect.context.get("logger").info(
        "%s: %d calls, %d without bairro, %d bairros",
        table,
        summary["chamados"],
        summary["chamados_sem_bairro"],
        summary["bairros"],
    )
    return DataReport(
        step="summary",
        table=table,
        location=datalake.warehouse_location,
        rows=int(summary["chamados"]),
        details={
            "chamados_sem_bairro": int(summary["chamados_sem_bairro"]),
            "bairros": int(summary["bairros"]),
        },
    )
