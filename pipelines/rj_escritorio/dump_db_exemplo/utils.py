"""Helper functions of the dump_db_exemplo project: none yet; dump_db does the work."""
