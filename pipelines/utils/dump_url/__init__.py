"""Pre-defined flow: load a delimited file from a URL into the datalake, then materialize.

Files:
- `flows.py`: `dump_url_flow` ("EMD: template - Ingerir arquivo de URL"), the
  template orgaos copy; its tasks are reusable on their own in any flow.
- `tasks.py`: `download_data_to_file` and `dump_file_to_datalake`.
- `download.py`: fetching http(s) URLs and local files, refusing error pages.
- `reader.py`: encoding, delimiter and decimal detection; typed Arrow reading.
- `columns.py`: column names made ASCII snake_case and unique.

Parameters (defaults in brackets):
- `url`: http(s) URL, `file://` URL or local path (relative paths are also tried
  from the repository root).
- `dataset_id`, `table_id`: where it lands, `<dataset_id>_staging.<table_id>`.
- `dump_mode` [`append`]: `append` replaces only the partitions written;
  `overwrite` replaces the whole table, once the new data is complete.
- `partition_columns` [none]: a date column; adds `ano_particao`, `mes_particao`,
  `data_particao` folders (named as in the header, or cleaned: `Data` or `data`).
  `partition_date_format` [ISO 8601]: its `strptime` format.
- `encoding`, `delimiter`, `decimal` [detected].
- `timeout_seconds` [60]: longest wait for the server to connect or send data.
- `materialize_after_dump` [`False`], `materialization_mode` [`dev`]: run the dbt
  model `queries/models/<dataset_id>/<table_id>.sql` afterwards.
"""
