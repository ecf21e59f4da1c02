"""The local datalake: Parquet staging files, DuckDB views, atomic publishing, recovery.

Every test gets its own datalake folder (see the root conftest), reached through
`get_datalake()` as flows reach it.
"""

import hashlib
import os
import shutil
import stat
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.utils.datalake import get_datalake
from pipelines.utils.datalake.local import LocalDatalake
from pipelines.utils.exceptions import (
    DatalakeWriteError,
    InvalidParameterError,
    PartitionValueError,
)

DATASET, TABLE = "adm_central_atendimento_1746", "chamado"
VIEW = f"{DATASET}_staging.{TABLE}"


def chamados(ids: list[int], day: str = "2023-04-01") -> pa.Table:
    """A small batch of calls, all opened on `day`."""
    return pa.table(
        {
            "id_chamado": pa.array(ids, pa.int64()),
            "data_inicio": [f"{day} 10:{i % 60:02d}:00" for i in range(len(ids))],
            "id_bairro": pa.array([i if i % 3 else None for i in ids], pa.int64()),
        }
    )


def write(
    datalake: LocalDatalake, data: pa.Table, dump_mode: str, partitioned: bool = False
) -> None:
    column = "data_inicio" if partitioned else None
    with datalake.staging_writer(
        DATASET, TABLE, dump_mode, partition_date_column=column
    ) as writer:
        writer.write(data)


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder`, by relative path, with the SHA-256 of its bytes."""
    return {
        path.relative_to(folder)
        .as_posix(): hashlib.sha256(path.read_bytes())
        .hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def ids_in_view(datalake: LocalDatalake) -> list[int]:
    rows = datalake.query(f"select id_chamado from {VIEW} order by id_chamado")
    return [row["id_chamado"] for row in rows]


def assert_no_leftovers(datalake: LocalDatalake) -> None:
    """No scratch folder, nothing parked, no folder named after a missing value."""
    assert not any((datalake.root / ".scratch").glob("*"))
    assert not any((datalake.root / ".trash").glob("*"))
    names = [path.name for path in datalake.root.rglob("*")]
    assert not [n for n in names if any(bad in n for bad in ("nan", "NaT", "None"))]


@pytest.fixture
def datalake() -> LocalDatalake:
    return get_datalake()


def test_get_datalake_default_is_local_at_the_configured_root(
    isolated_datalake: Path,
) -> None:
    datalake = get_datalake()

    assert isinstance(datalake, LocalDatalake)
    assert datalake.root == isolated_datalake.resolve()
    assert datalake.warehouse_location == str(
        isolated_datalake.resolve() / "warehouse.duckdb"
    )
    assert datalake.dbt_environment() == {
        "PIPELINES_DUCKDB_PATH": datalake.warehouse_location
    }


def test_get_datalake_backend_name_is_case_and_space_insensitive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIPELINES_DATALAKE_BACKEND", " Local ")

    assert isinstance(get_datalake(), LocalDatalake)


def test_get_datalake_unknown_backend_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINES_DATALAKE_BACKEND", "bogus")

    with pytest.raises(
        InvalidParameterError,
        match=r"PIPELINES_DATALAKE_BACKEND='bogus' is not a datalake backend; expected one "
        r"of \('local', 'bigquery'\)\. Unset it",
    ):
        get_datalake()


@pytest.mark.parametrize(
    "dataset_id",
    [
        "",
        "Adm_central",
        "1746_chamados",
        "_chamados",
        "adm-central",
        "adm central",
        "ação",
        "adm.x",
    ],
)
def test_staging_writer_invalid_dataset_id_raises(
    datalake: LocalDatalake, dataset_id: str
) -> None:
    with pytest.raises(
        InvalidParameterError,
        match=rf"dataset_id={dataset_id!r} is not a valid identifier; expected lowercase "
        "snake_case ASCII starting with a letter",
    ):
        datalake.staging_writer(dataset_id, TABLE, "append")

    assert not any((datalake.root / ".scratch").glob("*"))


def test_staging_writer_invalid_table_id_raises(datalake: LocalDatalake) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"table_id='Chamado' is not a valid"
    ):
        datalake.staging_writer(DATASET, "Chamado", "append")


@pytest.mark.parametrize("dump_mode", ["replace", "APPEND", "", "overwrite "])
def test_staging_writer_invalid_dump_mode_raises(
    datalake: LocalDatalake, dump_mode: str
) -> None:
    with pytest.raises(
        InvalidParameterError,
        match=rf"dump_mode={dump_mode!r} is not supported; expected one of "
        r"\('append', 'overwrite'\)",
    ):
        datalake.staging_writer(DATASET, TABLE, dump_mode)

    assert not any((datalake.root / ".scratch").glob("*"))


@pytest.mark.parametrize(
    "partitioned", [False, True], ids=["unpartitioned", "partitioned"]
)
def test_staging_writer_publishes_a_duckdb_view_and_a_report(
    datalake: LocalDatalake, partitioned: bool
) -> None:
    column = "data_inicio" if partitioned else None
    with datalake.staging_writer(
        DATASET, TABLE, "overwrite", partition_date_column=column
    ) as writer:
        writer.write(chamados([1, 2, 3]))
        writer.write(chamados([4, 5]).to_batches()[0])
        assert writer.report is None  # nothing is visible before the writer closes

    assert ids_in_view(datalake) == [1, 2, 3, 4, 5]
    assert datalake.count_staging_rows(DATASET, TABLE) == 5
    assert writer.report.table == VIEW
    assert writer.report.rows == 5
    assert writer.report.location == str(datalake.table_dir(DATASET, TABLE))
    assert writer.report.details["written"] == 5
    assert writer.report.details["partitions"] == (1 if partitioned else 0)
    nulls = datalake.query(f"select count(*) as n from {VIEW} where id_bairro is null")
    assert nulls == [{"n": 1}]  # id 3: an integer column keeps its NULLs
    assert_no_leftovers(datalake)


def test_staging_writer_partitioned_layout_and_hive_types(
    datalake: LocalDatalake,
) -> None:
    data = pa.concat_tables(
        [chamados([1, 2], "2023-04-01"), chamados([3], "2023-05-10")]
    )

    write(datalake, data, "overwrite", partitioned=True)

    folder = datalake.table_dir(DATASET, TABLE)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.glob("*/*/*")) == [
        "ano_particao=2023/mes_particao=4/data_particao=2023-04-01",
        "ano_particao=2023/mes_particao=5/data_particao=2023-05-10",
    ]
    rows = datalake.query(
        f"select id_chamado, ano_particao, mes_particao, data_particao from {VIEW} "
        "order by id_chamado"
    )
    assert rows == [
        {
            "id_chamado": 1,
            "ano_particao": 2023,
            "mes_particao": 4,
            "data_particao": date(2023, 4, 1),
        },
        {
            "id_chamado": 2,
            "ano_particao": 2023,
            "mes_particao": 4,
            "data_particao": date(2023, 4, 1),
        },
        {
            "id_chamado": 3,
            "ano_particao": 2023,
            "mes_particao": 5,
            "data_particao": date(2023, 5, 10),
        },
    ]


def test_staging_writer_tz_aware_timestamps_partition_by_the_rio_date(
    datalake: LocalDatalake,
) -> None:
    instants = [datetime(2023, 4, 2, 1, 0, tzinfo=timezone.utc)]
    data = pa.table(
        {"id": [1], "quando": pa.array(instants, pa.timestamp("us", "UTC"))}
    )

    with datalake.staging_writer(
        DATASET, TABLE, "append", partition_date_column="quando"
    ) as w:
        w.write(data)

    assert datalake.last_partition_date(DATASET, TABLE) == date(2023, 4, 1)
    assert datalake.query(f"select data_particao from {VIEW}") == [
        {"data_particao": date(2023, 4, 1)}
    ]


def test_overwrite_replaces_the_whole_table(datalake: LocalDatalake) -> None:
    write(
        datalake,
        pa.concat_tables([chamados([1], "2023-04-01"), chamados([2], "2023-04-02")]),
        "overwrite",
        partitioned=True,
    )

    write(datalake, chamados([7, 8], "2023-04-03"), "overwrite", partitioned=True)

    assert ids_in_view(datalake) == [7, 8]
    folder = datalake.table_dir(DATASET, TABLE)
    assert [p.name for p in folder.glob("*/*/*")] == ["data_particao=2023-04-03"]
    assert_no_leftovers(datalake)


def test_overwrite_exception_inside_the_writer_leaves_the_old_table_whole(
    datalake: LocalDatalake,
) -> None:
    write(datalake, chamados([1, 2, 3]), "overwrite", partitioned=True)
    before = tree(datalake.table_dir(DATASET, TABLE))

    with pytest.raises(RuntimeError, match="source went away"):
        with datalake.staging_writer(
            DATASET, TABLE, "overwrite", partition_date_column="data_inicio"
        ) as writer:
            writer.write(chamados([10, 11], "2023-04-02"))
            raise RuntimeError("source went away")

    assert tree(datalake.table_dir(DATASET, TABLE)) == before
    assert ids_in_view(datalake) == [1, 2, 3]
    assert writer.report is None
    assert_no_leftovers(datalake)


@pytest.mark.parametrize("dump_mode", ["overwrite", "append"])
@pytest.mark.parametrize(
    ("bad_dates", "date_format"),
    [([None], None), (["não informado"], None), (["31/04/2023"], "%d/%m/%Y")],
    ids=["null", "text", "impossible"],
)
def test_bad_partition_date_fails_the_dump_and_leaves_the_table_whole(
    datalake: LocalDatalake, dump_mode: str, bad_dates: list, date_format: str | None
) -> None:
    write(datalake, chamados([1, 2, 3]), "overwrite", partitioned=True)
    before = tree(datalake.table_dir(DATASET, TABLE))
    good = ["2023-04-05" if date_format is None else "05/04/2023"]
    data = pa.table(
        {"id_chamado": [10, 11], "data_inicio": pa.array(good + bad_dates, pa.string())}
    )

    with pytest.raises(
        PartitionValueError, match=r"Partition column 'data_inicio' has 1 row"
    ):
        with datalake.staging_writer(
            DATASET,
            TABLE,
            dump_mode,
            partition_date_column="data_inicio",
            partition_date_format=date_format,
        ) as writer:
            writer.write(data)

    assert tree(datalake.table_dir(DATASET, TABLE)) == before
    assert ids_in_view(datalake) == [1, 2, 3]
    assert_no_leftovers(datalake)


def test_append_partitioned_rerun_replaces_its_day_and_keeps_the_others(
    datalake: LocalDatalake,
) -> None:
    write(datalake, chamados([1, 2], "2023-04-01"), "append", partitioned=True)
    write(datalake, chamados([3, 4], "2023-04-02"), "append", partitioned=True)

    write(datalake, chamados([3, 4], "2023-04-02"), "append", partitioned=True)
    write(datalake, chamados([5, 6, 7], "2023-04-02"), "append", partitioned=True)

    assert ids_in_view(datalake) == [1, 2, 5, 6, 7]
    assert datalake.last_partition_date(DATASET, TABLE) == date(2023, 4, 2)


def test_append_unpartitioned_same_data_twice_adds_nothing(
    datalake: LocalDatalake,
) -> None:
    write(datalake, chamados([1, 2, 3]), "append")
    before = tree(datalake.table_dir(DATASET, TABLE))

    write(datalake, chamados([1, 2, 3]), "append")

    assert tree(datalake.table_dir(DATASET, TABLE)) == before
    assert ids_in_view(datalake) == [1, 2, 3]

    write(datalake, chamados([4]), "append")

    assert ids_in_view(datalake) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "partitioned", [False, True], ids=["unpartitioned", "partitioned"]
)
def test_identical_batches_within_one_dump_are_all_kept(
    datalake: LocalDatalake, partitioned: bool
) -> None:
    """A source with repeated rows can yield two identical batches; both are data."""
    column = "data_inicio" if partitioned else None
    with datalake.staging_writer(
        DATASET, TABLE, "append", partition_date_column=column
    ) as writer:
        writer.write(chamados([1, 2]))
        writer.write(chamados([1, 2]))

    assert ids_in_view(datalake) == [1, 1, 2, 2]
    assert writer.report.rows == writer.report.details["written"] == 4

    with datalake.staging_writer(
        DATASET, TABLE, "append", partition_date_column=column
    ) as writer:
        writer.write(chamados([1, 2]))
        writer.write(chamados([1, 2]))

    assert ids_in_view(datalake) == [1, 1, 2, 2]  # and re-running it still adds nothing


@pytest.mark.parametrize(
    ("first", "then", "message"),
    [
        (True, False, r"Cannot append unpartitioned data to .*, which is partitioned"),
        (False, True, r"Cannot append partitioned data to .*, which is unpartitioned"),
    ],
)
def test_append_with_another_layout_raises_and_leaves_the_table_whole(
    datalake: LocalDatalake, first: bool, then: bool, message: str
) -> None:
    write(datalake, chamados([1, 2]), "append", partitioned=first)
    before = tree(datalake.table_dir(DATASET, TABLE))

    with pytest.raises(DatalakeWriteError, match=message + r".*dump_mode='overwrite'"):
        write(datalake, chamados([3]), "append", partitioned=then)

    assert tree(datalake.table_dir(DATASET, TABLE)) == before
    assert ids_in_view(datalake) == [1, 2]

    write(datalake, chamados([3]), "overwrite", partitioned=then)

    assert ids_in_view(datalake) == [3]


@pytest.mark.parametrize("dump_mode", ["overwrite", "append"])
def test_dump_of_no_rows_keeps_the_previous_data(
    datalake: LocalDatalake, dump_mode: str
) -> None:
    write(datalake, chamados([1, 2]), "overwrite", partitioned=True)
    before = tree(datalake.table_dir(DATASET, TABLE))

    with datalake.staging_writer(
        DATASET, TABLE, dump_mode, partition_date_column="data_inicio"
    ) as writer:
        writer.write(chamados([]))

    assert tree(datalake.table_dir(DATASET, TABLE)) == before
    assert writer.report.rows == 2
    assert writer.report.details["written"] == 0


def test_overwrite_publishes_a_table_folder_others_can_read(
    datalake: LocalDatalake,
) -> None:
    umask = os.umask(0)
    os.umask(umask)

    write(datalake, chamados([1]), "overwrite")

    mode = stat.S_IMODE(datalake.table_dir(DATASET, TABLE).stat().st_mode)
    assert mode == 0o777 & ~umask


def test_last_partition_date_and_counts(datalake: LocalDatalake) -> None:
    assert datalake.last_partition_date(DATASET, TABLE) is None
    assert datalake.count_staging_rows(DATASET, TABLE) == 0

    write(datalake, chamados([1], "2022-12-31"), "append", partitioned=True)
    write(datalake, chamados([2, 3], "2023-01-15"), "append", partitioned=True)
    # a folder without data, as left by hand, is not a partition
    empty = (
        datalake.table_dir(DATASET, TABLE)
        / "ano_particao=2024/mes_particao=1/data_particao=2024-01-01"
    )
    empty.mkdir(parents=True)

    assert datalake.last_partition_date(DATASET, TABLE) == date(2023, 1, 15)
    assert datalake.count_staging_rows(DATASET, TABLE) == 3


def test_last_partition_date_of_an_unpartitioned_table_is_none(
    datalake: LocalDatalake,
) -> None:
    write(datalake, chamados([1]), "append")

    assert datalake.last_partition_date(DATASET, TABLE) is None


def park(datalake: LocalDatalake, target: Path, name: str) -> Path:
    """Does the first half of a swap by hand: `target` moved to `.trash/<name>/data`."""
    parked = datalake.root / ".trash" / name
    parked.mkdir(parents=True)
    (parked / "origin").write_text(str(target))
    target.rename(parked / "data")
    return parked


@pytest.mark.parametrize(
    "name", ["0f3c9a7e5b", "999999999-0f3c9a7e5b"], ids=["legacy", "dead-pid"]
)
def test_local_datalake_restores_a_swap_interrupted_between_renames(
    datalake: LocalDatalake, name: str
) -> None:
    write(datalake, chamados([1, 2, 3]), "overwrite", partitioned=True)
    target = datalake.table_dir(DATASET, TABLE)
    before = tree(target)
    park(datalake, target, name)
    assert not target.exists()

    restored = LocalDatalake(datalake.root)

    assert tree(target) == before
    assert ids_in_view(restored) == [1, 2, 3]
    assert_no_leftovers(restored)


def test_local_datalake_restores_an_interrupted_partition_swap(
    datalake: LocalDatalake,
) -> None:
    write(
        datalake,
        pa.concat_tables([chamados([1], "2023-04-01"), chamados([2], "2023-04-02")]),
        "append",
        partitioned=True,
    )
    day = next(datalake.table_dir(DATASET, TABLE).glob("*/*/data_particao=2023-04-02"))
    park(datalake, day, "12ab")

    restored = LocalDatalake(datalake.root)

    assert ids_in_view(restored) == [1, 2]


def test_local_datalake_drops_the_old_copy_of_a_swap_that_completed(
    datalake: LocalDatalake,
) -> None:
    write(datalake, chamados([1, 2]), "overwrite")
    target = datalake.table_dir(DATASET, TABLE)
    old = datalake.root / "old-copy"
    shutil.copytree(target, old)
    parked = park(datalake, old, "deadbeef")
    (parked / "origin").write_text(str(target))  # the new data is already in place
    before = tree(target)

    LocalDatalake(datalake.root)

    assert tree(target) == before
    assert not parked.exists()


def test_local_datalake_leaves_a_swap_of_a_running_process_alone(
    datalake: LocalDatalake,
) -> None:
    """This very process stands for a concurrent dump caught between its renames."""
    write(datalake, chamados([1]), "overwrite")
    target = datalake.table_dir(DATASET, TABLE)
    parked = park(datalake, target, f"{os.getpid()}-0f3c9a7e5b")

    LocalDatalake(datalake.root)

    assert not target.exists()
    assert (parked / "data").is_dir()


def test_swap_that_fails_puts_the_old_folder_back(datalake: LocalDatalake) -> None:
    write(datalake, chamados([1, 2]), "overwrite")
    target = datalake.table_dir(DATASET, TABLE)
    before = tree(target)

    with pytest.raises(FileNotFoundError):
        datalake._swap(
            datalake.root / "vanished", target
        )  # pylint: disable=protected-access

    assert tree(target) == before
    assert_no_leftovers(datalake)


def test_materialized_table_dev_and_prod_never_share_a_schema(
    datalake: LocalDatalake,
) -> None:
    dev = datalake.materialized_table(DATASET, TABLE, "dev")
    prod = datalake.materialized_table(DATASET, TABLE, "prod")

    assert dev == f"{DATASET}_dev.{TABLE}"
    assert prod == f"{DATASET}.{TABLE}"


@pytest.mark.parametrize("mode", ["Dev", "staging", ""])
def test_materialized_table_unknown_mode_raises(
    datalake: LocalDatalake, mode: str
) -> None:
    with pytest.raises(
        InvalidParameterError,
        match=rf"materialization_mode={mode!r} is not supported; expected one of \('dev', 'prod'\)",
    ):
        datalake.materialized_table(DATASET, TABLE, mode)
