"""What a dump must never do: lose the previous table, duplicate rows, publish half.

- An `overwrite` dump killed with SIGKILL while it writes leaves the previous table
  readable and whole.
- Running the same dump twice leaves the rows once.
- A connection killed by the server mid-dump is retried from a clean state; with
  no attempt left the dump fails with a clear error and publishes nothing.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import pyarrow.compute as pc
import pytest

from pipelines.utils.datalake.local import LocalDatalake
from pipelines.utils.exceptions import DatabaseConnectionLostError
from tests.pipelines.utils.dump_db.databases import (
    DATASET_ID,
    HOST,
    SourceDatabase,
    read_staging,
)

# Rows of the big table per engine: enough for many batches while the test acts.
BIG_ROWS = {"postgresql": 600_000, "mysql": 200_000}
BATCH_SIZE = 10_000
DIGITS = " UNION ALL ".join(f"SELECT {digit} AS d" for digit in range(10))

DUMP_SCRIPT = """
import json, sys
from pipelines.utils.dump_db.tasks import dump_sql_to_datalake
dump_sql_to_datalake.run(**json.loads(sys.argv[1]))
"""


def create_big_table(source: SourceDatabase, name: str, rows: int) -> str:
    """A table `(id, h)` of `rows` rows, built by the server itself."""
    table = source.table(name)
    if source.db_type == "postgresql":
        source.execute(
            f"CREATE TABLE {table} AS SELECT g AS id, md5(g::text) AS h "
            f"FROM generate_series(1, {rows}) AS g"
        )
    else:
        joins = " CROSS JOIN ".join(f"({DIGITS}) AS t{power}" for power in range(6))
        number = " + ".join(f"t{power}.d * {10**power}" for power in range(6))
        source.execute(
            f"CREATE TABLE {table} AS SELECT {number} + 1 AS id, md5({number}) AS h "
            f"FROM {joins} LIMIT {rows}"
        )
    return table


def throttled(source: SourceDatabase, select: str) -> str:
    """`select` (over a table aliased `t`) made to pause 20 ms every 10,000 rows.

    The server then sends rows for a second or more, so a test can act while the
    dump is surely still reading, however fast the machine is.
    """
    pause = (
        "pg_sleep(0.02)::text = ''"
        if source.db_type == "postgresql"
        else "SLEEP(0.02) = 0"
    )
    return f"{select} WHERE t.id % {BATCH_SIZE} <> 0 OR {pause}"


def scratch_files(root: Path) -> list[Path]:
    """Parquet files a running dump has written to its private folder so far."""
    return list((root / ".scratch").glob("staging-*/**/part-*.parquet"))


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Waits until `condition()` holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s")
        time.sleep(0.02)


def test_overwrite_killed_mid_write_leaves_previous_table_whole(
    source: SourceDatabase,
    dump: Callable[..., Any],
    credentials_for: Callable[..., str],
    isolated_datalake: Path,
) -> None:
    small = create_big_table(source, "pequena", 1_000)
    dump(source, f"SELECT * FROM {small}", "protegida", dump_mode="overwrite")
    before = read_staging(isolated_datalake, "protegida").sort_by("id")
    big = create_big_table(source, "grande", BIG_ROWS[source.db_type])
    parameters = {
        "db_type": source.db_type,
        "db_host": HOST,
        "db_port": source.port,
        "db_database": "test",
        "vault_secret_path": credentials_for(source.db_type),
        "execute_query": throttled(source, f"SELECT * FROM {big} AS t"),
        "dataset_id": DATASET_ID,
        "table_id": "protegida",
        "dump_mode": "overwrite",
        "batch_size": BATCH_SIZE,
    }

    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-c", DUMP_SCRIPT, json.dumps(parameters)],
        env=dict(os.environ),
    )
    try:
        wait_for(
            lambda: len(scratch_files(isolated_datalake)) >= 2
            or process.poll() is not None
        )
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)

    assert (
        process.returncode == -signal.SIGKILL
    ), "the dump ended before it could be killed"
    assert read_staging(isolated_datalake, "protegida").sort_by("id").equals(before)
    LocalDatalake(isolated_datalake)  # what the next run does first: restore, clean up
    assert read_staging(isolated_datalake, "protegida").sort_by("id").equals(before)
    assert (
        LocalDatalake(isolated_datalake).count_staging_rows(DATASET_ID, "protegida")
        == 1_000
    )


@pytest.mark.parametrize(
    ("dump_mode", "options"),
    [
        ("append", {"partition_columns": "dia"}),
        ("overwrite", {}),
        ("append", {}),
    ],
    ids=["append-partitioned", "overwrite", "append-unpartitioned"],
)
def test_rerun_of_the_same_dump_does_not_duplicate_rows(
    source: SourceDatabase,
    dump: Callable[..., Any],
    isolated_datalake: Path,
    dump_mode: str,
    options: dict[str, Any],
) -> None:
    table = source.table("repetida")
    source.execute(f"CREATE TABLE {table} (id integer, dia date)")
    for position in range(1, 41):
        source.execute(
            f"INSERT INTO {table} VALUES (%s, %s)",
            parameters=(position, f"2024-01-{position % 4 + 1:02d}"),
        )
    query = f"SELECT * FROM {table} ORDER BY id"

    first = dump(
        source, query, "repetida", dump_mode=dump_mode, batch_size=7, **options
    )
    second = dump(
        source, query, "repetida", dump_mode=dump_mode, batch_size=7, **options
    )

    data = read_staging(isolated_datalake, "repetida")
    assert sorted(data.column("id").to_pylist()) == list(range(1, 41))
    assert first.rows == second.rows == 40


class SessionKiller:
    """Kills, once, the database session whose query holds `marker`, from outside.

    It waits until the dump has written a file (so the kill lands mid-dump), then
    terminates the server session as an administrator or a failover would.
    """

    def __init__(self, source: SourceDatabase, marker: str, root: Path) -> None:
        self.source = source
        self.marker = marker
        self.root = root
        self.killed = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "SessionKiller":
        self.thread.start()
        return self

    def __exit__(self, *args: Any) -> None:
        self.stop.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        admin = SourceDatabase(
            self.source.db_type, self.source.namespace, self.source.port
        )
        if self.source.db_type == "postgresql":
            find = (
                "SELECT pid FROM pg_stat_activity WHERE query LIKE %s "
                "AND pid <> pg_backend_pid()"
            )
            kill = "SELECT pg_terminate_backend({})"
        else:
            find = (
                "SELECT id FROM information_schema.processlist WHERE info LIKE %s "
                "AND id <> CONNECTION_ID()"
            )
            kill = "KILL {}"
        try:
            while not self.stop.is_set():
                if scratch_files(self.root):
                    sessions = admin.execute(find, parameters=(f"%{self.marker}%",))
                    if sessions:
                        admin.execute(kill.format(int(sessions[0][0])))
                        self.killed.set()
                        return
                time.sleep(0.01)
        finally:
            if admin._connection is not None:  # pylint: disable=protected-access
                admin._connection.close()  # pylint: disable=protected-access


def test_connection_killed_mid_dump_is_retried_from_a_clean_state(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    rows = BIG_ROWS[source.db_type]
    big = create_big_table(source, "retomada", rows)
    marker = f"marca_{uuid.uuid4().hex}"

    with SessionKiller(source, marker, isolated_datalake) as killer:
        report = dump(
            source,
            throttled(source, f"SELECT t.*, '{marker}' AS marca FROM {big} AS t"),
            "retomada",
            batch_size=BATCH_SIZE,
            max_attempts=3,
        )

    assert (
        killer.killed.is_set()
    ), "the session was never killed: the test proved nothing"
    ids = read_staging(isolated_datalake, "retomada").column("id")
    assert len(ids) == rows == report.rows
    assert pc.count_distinct(ids).as_py() == rows
    assert not scratch_files(isolated_datalake)


def test_connection_killed_with_no_attempt_left_fails_and_publishes_nothing(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    small = create_big_table(source, "anterior", 500)
    dump(source, f"SELECT * FROM {small}", "perdida", dump_mode="overwrite")
    before = read_staging(isolated_datalake, "perdida").sort_by("id")
    big = create_big_table(source, "interrompida", BIG_ROWS[source.db_type])
    marker = f"marca_{uuid.uuid4().hex}"

    with SessionKiller(source, marker, isolated_datalake) as killer:
        with pytest.raises(
            DatabaseConnectionLostError,
            match=r"connection to the .* broke while dumping: .* Gave up after 1 "
            r"attempt\(s\); nothing was written to teste_dump_db_staging.perdida",
        ):
            dump(
                source,
                throttled(source, f"SELECT t.*, '{marker}' AS marca FROM {big} AS t"),
                "perdida",
                dump_mode="overwrite",
                batch_size=BATCH_SIZE,
                max_attempts=1,
            )

    assert killer.killed.is_set()
    assert read_staging(isolated_datalake, "perdida").sort_by("id").equals(before)
    assert not scratch_files(isolated_datalake)
