"""Pre-defined flow: dump a SQL database query into the datalake, then materialize.

Rows are streamed in batches (a server-side cursor; peak memory follows the batch
size, not the table), typed from what the database says about each column, written
as Parquet and published at once when the dump is complete.

Files:
- `flows.py`: `dump_sql_flow` ("EMD: template - Ingerir tabela de banco SQL"), the
  template orgaos deepcopy (schedules: `pipelines.utils.schedules`).
- `tasks.py`: `dump_sql_to_datalake`, the Prefect task.
- `parameters.py`: defaults and validation of the parameters (`DumpRequest`).
- `dump.py`: one dump with its attempts: describe, bound, stream, publish.
- `sources.py`: a reader per engine (PostgreSQL through ADBC; MySQL/MariaDB, SQL
  Server and Oracle through SQLAlchemy) and the translation of driver errors.
- `queries.py`: the SQL sent: the query as given, or wrapped for a bound.
- `types.py`: database column types mapped to Arrow.
- `utils.py`: `set_default_parameters`, for flows copied from the template.

Parameters (defaults in brackets):
- `db_type`: `postgresql`, `mysql` (MariaDB too), `sql_server` or `oracle`.
- `db_host`, `db_port` [the engine's: 5432, 3306, 1433, 1521], `db_database`
  (Oracle: the service name).
- `vault_secret_path`: the Vault secret with the keys `username` and `password`;
  credentials come from nowhere else.
- `execute_query`: the SELECT whose rows are dumped.
- `dataset_id`, `table_id`: where they land, `<dataset_id>_staging.<table_id>`.
- `dump_mode` [`append`]: `append` replaces only the partitions written (an
  unpartitioned append adds files); `overwrite` replaces the whole table, once the
  new data is complete.
- `partition_columns` [none]: one date, timestamp or text date column; rows go to
  `ano_particao=/mes_particao=/data_particao=` folders. A NULL or unreadable date
  fails the dump before anything is published: no `nan`/`NaT`/`None` folder.
- `partition_date_format` [ISO 8601]: `strptime` format of a text date column.
- `lower_bound_date` [none: every row]: dump rows whose partition column is on or
  after `YYYY-MM-DD`, `last_partition` (the newest partition stored, which is read
  again whole), `current_day`, `current_month` or `current_year`. Needs
  `partition_columns` and `append`.
- `batch_size` [100000]: rows per batch read and per Parquet file.
- `materialize_after_dump` [`False`], `materialization_mode` [`dev`]: run the dbt
  model `queries/models/<dataset_id>/<table_id>.sql` afterwards.
"""
