"""The materialization task: build a table of `queries/` with dbt, then count its rows."""

import prefect
from prefect import task

from pipelines.utils.reports import DataReport


@task(checkpoint=False)
def run_dbt_model(
    dataset_id: str,
    table_id: str,
    materialization_mode: str = "dev",
    *,
    dbt_select: str | None = None,
    dbt_command: str = "build",
) -> list[DataReport]:
    """Materializes `<dataset_id>.<table_id>` and what it depends on with dbt.

    Reads: the staging tables and seeds the model selects from. Writes: the models
    and seeds selected, in the schema of `materialization_mode` (`<dataset_id>_dev`
    or `<dataset_id>` on the local warehouse). Safe to re-run: tables are replaced.

    Args:
        dataset_id: the dataset folder under `queries/models/`.
        table_id: the model file name, without `.sql`.
        materialization_mode: `dev` or `prod`.
        dbt_select: a dbt selector to use instead of the model and its parents.
        dbt_command: `build` (models, seeds and their tests) or `run`.

    Returns:
        One report per table built, with its row count.

    Raises:
        MaterializationError: dbt failed or selected nothing.
    """
    from pipelines.utils.datalake import get_datalake
    from pipelines.utils.execute_dbt_model.runner import (
        default_selector,
        run_dbt,
    )

    logger = prefect.context.get("logger")
    datalake = get_datalake()
    selector = dbt_select or default_selector(dataset_id, table_id)
    logger.info(
        "Materializing %r with dbt %s (mode %r, backend %r)",
        selector,
        dbt_command,
        materialization_mode,
        datalake.name,
    )
    tables = run_dbt(
        selector,
        backend=datalake.name,
        materialization_mode=materialization_mode,
        command=dbt_command,
        environment=datalake.dbt_environment(),
        log=logger.info,
    )
    reports = []
    for table in tables:
        rows = datalake.query(f"select count(*) as n from {table}")[0]["n"]
        reports.append(
            DataReport(
                step="materialization",
                table=table,
                location=datalake.warehouse_location,
                rows=rows,
                details={"mode": materialization_mode},
            )
        )
        logger.info("Materialized %s: %d rows", table, rows)
    return reports


@task(checkpoint=False)
def check_materialization_mode(materialization_mode: str) -> str:
    """Refuses an unknown `materialization_mode` before a flow writes anything.

    Reads and writes nothing; dump flows run it first, so that a typo (`prd`) fails
    the run before the staging table is replaced.

    Returns:
        The mode, unchanged.

    Raises:
        InvalidParameterError: the mode is not `dev` or `prod`.
    """
    from pipelines.utils.datalake.base import validate_materialization_mode

    validate_materialization_mode(materialization_mode)
    return materialization_mode
