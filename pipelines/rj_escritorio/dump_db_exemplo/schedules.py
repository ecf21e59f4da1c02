"""Schedules of the dump_db_exemplo project: each table once a day, 15 minutes apart."""

from datetime import timedelta

import pendulum
from prefect.schedules import Schedule

from pipelines.constants import constants
from pipelines.rj_escritorio.dump_db_exemplo.constants import (
    constants as exemplo_constants,
)
from pipelines.utils.schedules import generate_dump_db_schedules

exemplo_tables_clocks = generate_dump_db_schedules(
    interval=timedelta(days=1),
    start_date=pendulum.datetime(2024, 1, 1, 3, 0, tz=constants.DEFAULT_TIMEZONE.value),
    labels=[constants.RJ_ESCRITORIO_AGENT_LABEL.value],
    db_database=exemplo_constants.DB_DATABASE.value,
    db_host=exemplo_constants.DB_HOST.value,
    db_port=exemplo_constants.DB_PORT.value,
    db_type=exemplo_constants.DB_TYPE.value,
    dataset_id=exemplo_constants.DATASET_ID.value,
    vault_secret_path=exemplo_constants.VAULT_SECRET_PATH.value,
    table_parameters=exemplo_constants.TABLES.value,
    runs_interval_minutes=15,
)

every_day_at_three_am = Schedule(clocks=exemplo_tables_clocks)
