"""dump_db_exemplo flow: the example tables into `exemplo_dump_db_staging.<table_id>`.

A copy of the pre-defined `dump_sql_flow` with its own name, owners, run config,
default parameters (the example database) and a schedule of one clock per table.
"""

from copy import deepcopy

from prefect.run_configs import KubernetesRun

from pipelines.constants import constants
from pipelines.rj_escritorio.dump_db_exemplo.constants import (
    constants as exemplo_constants,
)
from pipelines.rj_escritorio.dump_db_exemplo.schedules import every_day_at_three_am
from pipelines.utils.dump_db.flows import dump_sql_flow
from pipelines.utils.dump_db.utils import set_default_parameters

dump_db_exemplo_flow = deepcopy(dump_sql_flow)
dump_db_exemplo_flow.name = "EMD: dump_db_exemplo - Ingerir tabelas de exemplo"
dump_db_exemplo_flow.code_owners = ["escritorio"]
dump_db_exemplo_flow.run_config = KubernetesRun(
    image=constants.DOCKER_IMAGE_NAME.value,
    labels=[constants.RJ_ESCRITORIO_AGENT_LABEL.value],
)
set_default_parameters(
    dump_db_exemplo_flow,
    {
        "db_type": exemplo_constants.DB_TYPE.value,
        "db_host": exemplo_constants.DB_HOST.value,
        "db_port": exemplo_constants.DB_PORT.value,
        "db_database": exemplo_constants.DB_DATABASE.value,
        "vault_secret_path": exemplo_constants.VAULT_SECRET_PATH.value,
        "dataset_id": exemplo_constants.DATASET_ID.value,
    },
)
dump_db_exemplo_flow.schedule = every_day_at_three_am
