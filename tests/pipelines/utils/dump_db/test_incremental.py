"""Incremental dumps: `lower_bound_date` or the last partition already stored.

The bound is compared in the database, in the partition column's own type, and it
travels as a bind parameter: the SQL text never contains it. Partitions before the
bound are not read again; the partitions from the bound on are replaced whole.
"""

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from pipelines.utils.dump_db.queries import (
    build_dump_statement,
    compile_statement,
    typed_lower_bound,
)
from pipelines.utils.dump_db.types import SourceColumn
from tests.pipelines.utils.dump_db.databases import (
    SourceDatabase,
    partition_folders,
    read_staging,
)


def create_daily(source: SourceDatabase, name: str, days: list[int]) -> str:
    """A table `(id, dia date, origem text)` with one row per January 2024 day given."""
    table = source.table(name)
    source.execute(f"CREATE TABLE {table} (id integer, dia date, origem varchar(20))")
    for day in days:
        source.execute(
            f"INSERT INTO {table} VALUES (%s, %s, 'primeira carga')",
            parameters=(day, date(2024, 1, day)),
        )
    return table


def staged_rows(root: Path, table_id: str) -> list[tuple[int, str, str]]:
    """The staged `(id, dia, origem)` rows, by id."""
    data = read_staging(root, table_id).sort_by("id").to_pylist()
    return [(row["id"], row["dia"].isoformat(), row["origem"]) for row in data]


@pytest.mark.parametrize("lower_bound_date", ["2024-01-03", "last_partition"])
def test_dump_since_a_bound_rereads_only_partitions_from_it(
    source: SourceDatabase,
    dump: Callable[..., Any],
    isolated_datalake: Path,
    lower_bound_date: str,
) -> None:
    table = create_daily(source, "diario", [1, 2, 3])
    query = f"SELECT * FROM {table}"
    dump(source, query, "diario", partition_columns="dia")
    # The source changes: day 1 loses its row (old partitions are not read again),
    # day 3 gets a second row and day 4 appears (both must arrive, once).
    source.execute(
        f"DELETE FROM {table} WHERE id = 1",
        f"UPDATE {table} SET origem = 'atualizada' WHERE id = 3",
        f"INSERT INTO {table} VALUES (30, '2024-01-03', 'nova'), (4, '2024-01-04', 'nova')",
    )

    report = dump(
        source,
        query,
        "diario",
        partition_columns="dia",
        lower_bound_date=lower_bound_date,
    )

    assert report.details["since"] == "2024-01-03"
    assert report.details["read"] == 3
    assert staged_rows(isolated_datalake, "diario") == [
        (1, "2024-01-01", "primeira carga"),
        (2, "2024-01-02", "primeira carga"),
        (3, "2024-01-03", "atualizada"),
        (4, "2024-01-04", "nova"),
        (30, "2024-01-03", "nova"),
    ]


def test_dump_since_last_partition_reads_everything_into_an_empty_table(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    table = create_daily(source, "vazio", [5, 6])

    report = dump(
        source,
        f"SELECT * FROM {table}",
        "vazio",
        partition_columns="dia",
        lower_bound_date="last_partition",
    )

    assert "since" not in report.details
    assert partition_folders(isolated_datalake, "vazio") == [
        "data_particao=2024-01-05",
        "data_particao=2024-01-06",
    ]


@pytest.mark.parametrize("kind", ["zone-aware", "naive", "iso text"])
def test_dump_bound_compares_in_the_column_type(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path, kind: str
) -> None:
    column_types = {
        "postgresql": {
            "zone-aware": "timestamptz",
            "naive": "timestamp",
            "iso text": "text",
        },
        "mysql": {
            "zone-aware": "TIMESTAMP NULL",
            "naive": "DATETIME",
            "iso text": "varchar(30)",
        },
    }
    table = source.table("momentos")
    source.execute(
        f"CREATE TABLE {table} (id integer, momento {column_types[source.db_type][kind]})"
    )
    if source.db_type == "mysql":
        source.execute("SET time_zone = '+00:00'")
    # For zone-aware columns the values are UTC instants: 02:59:59 UTC is still
    # 2024-01-01 in Rio, 03:00 UTC is its midnight of 2024-01-02.
    values = {
        "zone-aware": [
            "2024-01-02 02:59:59",
            "2024-01-02 03:00:00",
            "2024-01-03 12:00:00",
        ],
        "naive": ["2024-01-01 23:59:59", "2024-01-02 00:00:00", "2024-01-03 12:00:00"],
        "iso text": ["2024-01-01 23:59:59", "2024-01-02", "2024-01-03T12:00:00"],
    }[kind]
    suffix = "+00" if kind == "zone-aware" and source.db_type == "postgresql" else ""
    for position, value in enumerate(values, start=1):
        source.execute(
            f"INSERT INTO {table} VALUES (%s, %s)",
            parameters=(position, value + suffix),
        )

    dump(
        source,
        f"SELECT * FROM {table}",
        "momentos",
        partition_columns="momento",
        lower_bound_date="2024-01-02",
    )

    data = read_staging(isolated_datalake, "momentos").sort_by("id").to_pylist()
    assert [row["id"] for row in data] == [2, 3]


def test_typed_lower_bound_follows_the_column_type() -> None:
    import pyarrow as pa

    day = date(2024, 1, 2)
    aware = SourceColumn("m", "timestamptz", pa.timestamp("us", tz="UTC"))

    postgres = typed_lower_bound(aware, day, db_type="postgresql").value
    mysql = typed_lower_bound(aware, day, db_type="mysql").value

    assert postgres == datetime(2024, 1, 2, 3, tzinfo=timezone.utc)
    assert mysql == datetime(2024, 1, 2, 3) and mysql.tzinfo is None
    assert (
        typed_lower_bound(
            SourceColumn("d", "date", pa.date32()), day, db_type="mysql"
        ).value
        == day
    )
    assert (
        typed_lower_bound(
            SourceColumn("t", "text", pa.string()),
            day,
            db_type="postgresql",
            date_format="%Y%m%d",
        ).value
        == "20240102"
    )


@pytest.mark.parametrize("db_type", ["postgresql", "mysql", "sql_server", "oracle"])
def test_build_dump_statement_sends_the_bound_as_a_parameter(db_type: str) -> None:
    import pyarrow as pa

    columns = [
        SourceColumn("id", "int", pa.int32()),
        SourceColumn("dia", "date", pa.date32()),
    ]
    bound = typed_lower_bound(columns[1], date(2024, 1, 3), db_type=db_type)
    query = "SELECT id, dia FROM chamado WHERE obs <> 'x'' OR 1=1 --'"

    sql, parameters = compile_statement(
        build_dump_statement(query, columns, db_type=db_type, lower_bound=bound),
        db_type,
    )

    assert parameters == [date(2024, 1, 3)]
    assert "2024" not in sql
    assert f"FROM ({query})" in sql
    placeholder = {
        "postgresql": "$1::DATE",
        "mysql": "%(lower_bound)s",
        "sql_server": "%(lower_bound)s",
        "oracle": ":lower_bound",
    }
    assert sql.endswith(f"dump_db_source.dia >= {placeholder[db_type]}")


def test_build_dump_statement_sends_the_query_unchanged_unless_needed() -> None:
    import pyarrow as pa

    from pipelines.utils.dump_db.types import postgres_columns

    plain = [
        SourceColumn("id", "int4", pa.int32()),
        SourceColumn("dia", "date", pa.date32()),
    ]
    numeric_field = pa.field(
        "valor",
        pa.string(),
        metadata={
            "POSTGRESQL:type": "numeric",
            "POSTGRESQL:typmod": str((12 << 16 | 2) + 4),
        },
    )
    numeric = postgres_columns(pa.schema([numeric_field]))
    query = "SELECT id, dia, valor FROM chamado"

    assert build_dump_statement(query, plain, db_type="postgresql") == query
    sql, parameters = compile_statement(
        build_dump_statement(query, plain + numeric, db_type="postgresql"), "postgresql"
    )
    assert numeric[0].arrow_type == pa.decimal128(12, 2)
    assert sql == (
        "SELECT dump_db_source.id, dump_db_source.dia, CAST(dump_db_source.valor AS TEXT) "
        f"AS valor \nFROM ({query}) AS dump_db_source"
    )
    assert parameters == []
