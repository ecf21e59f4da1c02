"""Pre-defined flow: materialize a table with dbt (the project in `queries/`).

Files:
- `flows.py`: `run_dbt_model_flow`, the template orgaos copy ("EMD: template -
  Materializar tabela com dbt").
- `tasks.py`: `run_dbt_model`, the task every dump flow calls when
  `materialize_after_dump` is true.
- `runner.py`: runs dbt in-process (dbt-duckdb locally, dbt-bigquery in production)
  and turns its results into reports or a `MaterializationError`.

Parameters (flow and task):
- `dataset_id`, `table_id`: the model `queries/models/<dataset_id>/<table_id>.sql`.
- `materialization_mode`: `dev` (default) or `prod`; they land in different schemas
  (`<dataset_id>_dev` and `<dataset_id>` on the local warehouse).
- `dbt_select`: a dbt selector that replaces the default, which builds the model and
  everything it depends on (`+path:models/<dataset_id>/<table_id>.sql`).
- `dbt_command`: `build` (default: run models, seeds and their tests) or `run`.
"""
