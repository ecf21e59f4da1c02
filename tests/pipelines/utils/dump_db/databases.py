"""Helpers of the dump_db tests: a namespace on a real database, reading results back.

`conftest.py` builds its fixtures from these; test modules import them directly.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
DB_TYPES = ("postgresql", "mysql")
LOGINS = {"postgresql": ("postgres", ""), "mysql": ("root", "")}
PORTS = {"postgresql": 5432, "mysql": 3306}
DATASET_ID = "teste_dump_db"


@dataclass
class SourceDatabase:
    """A namespace of its own on one real database server.

    Attributes:
        db_type: `postgresql` or `mysql`.
        namespace: the schema (PostgreSQL) or database (MariaDB) of this test.
        port: the server's port.
    """

    db_type: str
    namespace: str
    port: int
    _connection: Any = field(default=None, repr=False)

    def connect(self) -> Any:
        """An autocommit connection as the server's administrator."""
        if self.db_type == "postgresql":
            import psycopg

            return psycopg.connect(
                host=HOST,
                port=self.port,
                user="postgres",
                dbname="test",
                autocommit=True,
            )
        import pymysql

        return pymysql.connect(
            host=HOST,
            port=self.port,
            user="root",
            password="",
            database="test",
            charset="utf8mb4",
            autocommit=True,
        )

    def execute(self, *statements: str, parameters: Any = None) -> list[tuple]:
        """Runs statements; returns the rows of the last one (if it has any)."""
        if self._connection is None:
            self._connection = self.connect()
        rows: list[tuple] = []
        with self._connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, parameters)
                rows = list(cursor.fetchall()) if cursor.description else []
        return rows

    def table(self, name: str) -> str:
        """The qualified name of a table of this namespace."""
        return f"{self.namespace}.{name}"

    def close(self) -> None:
        """Drops the namespace and closes the connection."""
        kind = "SCHEMA" if self.db_type == "postgresql" else "DATABASE"
        cascade = " CASCADE" if self.db_type == "postgresql" else ""
        try:
            self.execute(f"DROP {kind} IF EXISTS {self.namespace}{cascade}")
        finally:
            if self._connection is not None:
                self._connection.close()


def read_staging(
    datalake_root: Path, table_id: str, dataset_id: str = DATASET_ID
) -> Any:
    """Reads a staging table back from its Parquet files (partitions as columns)."""
    import pyarrow.dataset as ds

    folder = datalake_root / "staging" / dataset_id / table_id
    return ds.dataset(folder, format="parquet", partitioning="hive").to_table()


def partition_folders(
    datalake_root: Path, table_id: str, dataset_id: str = DATASET_ID
) -> list[str]:
    """The `data_particao=...` folder names of a table, sorted."""
    folder = datalake_root / "staging" / dataset_id / table_id
    return sorted(path.name for path in folder.glob("*/*/data_particao=*"))
