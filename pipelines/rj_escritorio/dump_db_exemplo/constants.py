"""Constants of the dump_db_exemplo project: the example database and its tables.

The database is the local PostgreSQL of the development machines (`test`, on
127.0.0.1); the queries read only built-in views and `generate_series`, so they run
on any PostgreSQL. Its login is the Vault secret `dump_db_exemplo`.
"""

from enum import Enum

# A calendar from 2024 on: one row per day, partitioned by the day.
CALENDARIO_QUERY = """
SELECT
    dia::date AS data,
    EXTRACT(ISODOW FROM dia)::integer AS dia_semana,
    EXTRACT(ISODOW FROM dia) IN (6, 7) AS fim_de_semana
FROM generate_series(date '2024-01-01', current_date, interval '1 day') AS dia
"""

# The tables and views the database has, replaced whole at each run.
TABELAS_QUERY = """
SELECT table_schema AS esquema, table_name AS tabela, table_type AS tipo
FROM information_schema.tables
ORDER BY table_schema, table_name
"""


class constants(Enum):
    """Constant values for the dump_db_exemplo project."""

    DB_TYPE = "postgresql"
    DB_HOST = "127.0.0.1"
    DB_PORT = 5432
    DB_DATABASE = "test"
    VAULT_SECRET_PATH = "dump_db_exemplo"  # pragma: allowlist secret  # a Vault path
    DATASET_ID = "exemplo_dump_db"
    # table_id -> the parameters of its runs (see pipelines/utils/dump_db/__init__.py)
    TABLES = {
        "calendario": {
            "execute_query": CALENDARIO_QUERY,
            "dump_mode": "append",
            "partition_columns": "data",
            "lower_bound_date": "last_partition",
        },
        "tabelas_banco": {
            "execute_query": TABELAS_QUERY,
            "dump_mode": "overwrite",
        },
    }
