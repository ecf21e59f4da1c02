"""dump_db_exemplo: example tables of a PostgreSQL database dumped with dump_db."""
