"""Tasks of the dump_db_exemplo project: none of its own; it reuses dump_db's."""
