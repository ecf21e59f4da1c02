"""The pre-defined flows orgaos copy, gathered in one place.

Each lives in its own package with its tasks and a docstring on its parameters:
`dump_url` (a file from a URL into the datalake), `dump_db` (a table or query of a
SQL database), `execute_dbt_model` (materialize a table with dbt). Copy one with
`deepcopy`, then set its name, run config, labels, schedule and defaults.
"""

from pipelines.utils.dump_db.flows import dump_sql_flow
from pipelines.utils.dump_url.flows import dump_url_flow
from pipelines.utils.execute_dbt_model.flows import run_dbt_model_flow

__all__ = ["dump_sql_flow", "dump_url_flow", "run_dbt_model_flow"]
