"""Partitions from a date column: `ano_particao=/mes_particao=/data_particao=` folders.

A NULL or unparseable partition date never becomes a `nan`, `NaT` or `None` folder:
the dump fails with an error that names the column and the rows, before anything is
published, and the data already stored stays as it was.
"""

from datetime import date
from pathlib import Path
from typing import Any, Callable

import pytest

from pipelines.utils.exceptions import PartitionValueError
from tests.pipelines.utils.dump_db.databases import (
    SourceDatabase,
    partition_folders,
    read_staging,
)

BAD_FOLDER_WORDS = ("nan", "nat", "none", "null")


def create_calls(source: SourceDatabase, name: str, rows: list[tuple[int, Any]]) -> str:
    """A table `(id, data_abertura)`; the date column's type follows the values."""
    table = source.table(name)
    kind = (
        "date"
        if all(isinstance(v, date) or v is None for _, v in rows)
        else "varchar(30)"
    )
    source.execute(f"CREATE TABLE {table} (id integer, data_abertura {kind})")
    for row in rows:
        source.execute(f"INSERT INTO {table} VALUES (%s, %s)", parameters=row)
    return table


def assert_no_bad_folder(root: Path) -> None:
    """Fails on any folder named after a missing date, anywhere in the datalake."""
    for path in root.rglob("*"):
        value = path.name.split("=", 1)[-1].lower()
        assert (
            value not in BAD_FOLDER_WORDS
        ), f"folder named after a missing date: {path}"


def test_dump_partitions_rows_by_date_column(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    rows = [
        (1, date(2023, 4, 1)),
        (2, date(2023, 4, 1)),
        (3, date(2023, 4, 2)),
        (4, date(2024, 1, 31)),
    ]
    table = create_calls(source, "chamado", rows)

    report = dump(
        source, f"SELECT * FROM {table}", "chamado", partition_columns="data_abertura"
    )

    assert partition_folders(isolated_datalake, "chamado") == [
        "data_particao=2023-04-01",
        "data_particao=2023-04-02",
        "data_particao=2024-01-31",
    ]
    january = isolated_datalake.joinpath(
        "staging/teste_dump_db/chamado/ano_particao=2024/mes_particao=1/data_particao=2024-01-31"
    )
    assert january.is_dir()
    data = read_staging(isolated_datalake, "chamado").sort_by("id").to_pylist()
    assert [
        (row["id"], row["data_abertura"], str(row["data_particao"])) for row in data
    ] == [
        (1, date(2023, 4, 1), "2023-04-01"),
        (2, date(2023, 4, 1), "2023-04-01"),
        (3, date(2023, 4, 2), "2023-04-02"),
        (4, date(2024, 1, 31), "2024-01-31"),
    ]
    assert report.details["partitions"] == 3


def test_dump_partitions_zone_aware_timestamps_by_rio_date(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    table = source.table("evento")
    kind = "timestamptz" if source.db_type == "postgresql" else "TIMESTAMP NULL"
    source.execute(f"CREATE TABLE {table} (id integer, momento {kind})")
    if source.db_type == "mysql":
        source.execute("SET time_zone = '+00:00'")
    # 02:59:59 UTC is 23:59:59 of the day before in Rio (UTC-3); 03:00 is midnight
    zone = "" if source.db_type == "mysql" else "+00"
    source.execute(
        f"INSERT INTO {table} VALUES (1, '2024-01-02 02:59:59{zone}'), "
        f"(2, '2024-01-02 03:00:00{zone}')"
    )

    dump(source, f"SELECT * FROM {table}", "evento", partition_columns="momento")

    data = read_staging(isolated_datalake, "evento").sort_by("id").to_pylist()
    assert [str(row["data_particao"]) for row in data] == ["2024-01-01", "2024-01-02"]


def test_dump_partitions_text_dates_with_their_format(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    table = create_calls(source, "texto", [(1, "01/04/2023"), (2, " 15/05/2023 ")])

    dump(
        source,
        f"SELECT * FROM {table}",
        "texto",
        partition_columns="data_abertura",
        partition_date_format="%d/%m/%Y",
    )

    assert partition_folders(isolated_datalake, "texto") == [
        "data_particao=2023-04-01",
        "data_particao=2023-05-15",
    ]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            [(1, "2023-04-01"), (2, None)],
            r"1 row\(s\) with no valid date \(first rows \[1\], values \[None\]\)",
        ),
        (
            [(1, "2023-04-01"), (2, "sem data"), (3, "2023-02-31")],
            r"2 row\(s\) with no valid date .*'sem data', '2023-02-31'",
        ),
    ],
    ids=["null", "unparseable"],
)
def test_dump_refuses_rows_without_partition_date_and_keeps_previous_data(
    source: SourceDatabase,
    dump: Callable[..., Any],
    isolated_datalake: Path,
    values: list[tuple[int, Any]],
    message: str,
) -> None:
    good = create_calls(source, "boa", [(10, date(2023, 3, 1)), (11, date(2023, 4, 1))])
    dump(source, f"SELECT * FROM {good}", "chamado", partition_columns="data_abertura")
    before = read_staging(isolated_datalake, "chamado").sort_by("id").to_pylist()
    bad = create_calls(source, "ruim", values)

    for dump_mode in ("append", "overwrite"):
        with pytest.raises(PartitionValueError, match=message):
            dump(
                source,
                f"SELECT * FROM {bad}",
                "chamado",
                partition_columns="data_abertura",
                dump_mode=dump_mode,
            )

    assert_no_bad_folder(isolated_datalake)
    assert (
        read_staging(isolated_datalake, "chamado").sort_by("id").to_pylist() == before
    )
    assert partition_folders(isolated_datalake, "chamado") == [
        "data_particao=2023-03-01",
        "data_particao=2023-04-01",
    ]


def test_dump_refuses_a_partition_column_the_query_lacks(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    table = create_calls(source, "sem_coluna", [(1, date(2023, 4, 1))])

    with pytest.raises(
        PartitionValueError,
        match=r"partition_columns='data' is not a column of the query; its columns are "
        r"\['id', 'data_abertura'\]",
    ):
        dump(source, f"SELECT * FROM {table}", "sem_coluna", partition_columns="data")

    assert not (isolated_datalake / "staging" / "teste_dump_db" / "sem_coluna").exists()
