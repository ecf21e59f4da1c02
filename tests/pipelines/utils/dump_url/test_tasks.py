"""`dump_url_flow` end to end: the local HTTP server's files into the local datalake.

Each failure case first loads a table, then checks that the failed run left every
file of the datalake byte for byte as it was.
"""

import csv
import hashlib
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from prefect.engine.state import State

from pipelines.utils.datalake import get_datalake
from pipelines.utils.dump_url.flows import dump_url_flow
from pipelines.utils.exceptions import (
    DownloadError,
    FileFormatError,
    InvalidParameterError,
    PartitionValueError,
)

pytestmark = pytest.mark.integration

INMET = "inmet_a652_rio_forte_copacabana_2022-01.csv"
CHAMADOS = "rio_1746_chamados_2023-04-01.csv"
DATASET = "meio_ambiente_clima"
TABLE = "estacao_a652"


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Downloads go to a temporary folder of this test only, to check it is cleaned."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def run(url: str, **parameters: Any) -> State:
    """Runs the flow with the INMET table as default destination."""
    parameters = {"dataset_id": DATASET, "table_id": TABLE, "url": url, **parameters}
    return dump_url_flow.run(parameters=parameters, run_on_schedule=False)


def task_state(state: State, name: str) -> State:
    (task,) = dump_url_flow.get_tasks(name=name)
    return state.result[task]


def files(root: Path) -> dict[str, str]:
    """Every file of the datalake, by relative path, with the SHA-256 of its bytes."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def raw_rows(path: Path, encoding: str, delimiter: str) -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as file:
        return list(csv.reader(file, delimiter=delimiter))[1:]


def test_dump_url_flow_loads_the_inmet_file_with_its_values(
    data_server, data_dir: Path, private_tempdir: Path
) -> None:
    state = run(data_server.data_url(INMET))

    assert state.is_successful(), state.message
    datalake = get_datalake()
    view = f"{DATASET}_staging.{TABLE}"
    assert datalake.count_staging_rows(DATASET, TABLE) == 744
    first = datalake.query(
        "select data, hora_utc, precipitacao_total_horario_mm, "
        "pressao_atmosferica_ao_nivel_da_estacao_horaria_mb as pressao, "
        "radiacao_global_kj_m2 as radiacao, umidade_relativa_do_ar_horaria as umidade, "
        f"vento_rajada_maxima_m_s as rajada from {view} "
        "where data = '01/01/2022' and hora_utc = '0000 UTC'"
    )
    assert first == [
        {
            "data": "01/01/2022",
            "hora_utc": "0000 UTC",
            "precipitacao_total_horario_mm": 0.0,
            "pressao": 1004.9,
            "radiacao": None,
            "umidade": 83,
            "rajada": 5.2,
        }
    ]
    types = datalake.query(
        f"select typeof(pressao_atmosferica_ao_nivel_da_estacao_horaria_mb) as pressao, "
        f"typeof(umidade_relativa_do_ar_horaria) as umidade from {view} limit 1"
    )
    assert types == [{"pressao": "DOUBLE", "umidade": "BIGINT"}]
    rows = raw_rows(data_dir / INMET, "latin-1", ";")
    total = sum(float(row[3].replace(",", ".")) for row in rows)
    summed = datalake.query(
        f"select sum(pressao_atmosferica_ao_nivel_da_estacao_horaria_mb) as s from {view}"
    )
    assert summed[0]["s"] == pytest.approx(total)
    nulls = datalake.query(
        f"select count(*) as n from {view} where radiacao_global_kj_m2 is null"
    )
    assert nulls == [{"n": sum(1 for row in rows if row[6] == "")}] == [{"n": 311}]
    assert not any(private_tempdir.iterdir())  # the downloaded copy is gone


@pytest.mark.parametrize("column", ["data", "Data"])
def test_dump_url_flow_inmet_partitioned_by_its_brazilian_date(
    data_server, column: str
) -> None:
    state = run(
        data_server.data_url(INMET),
        partition_columns=column,
        partition_date_format="%d/%m/%Y",
    )

    assert state.is_successful(), state.message
    datalake = get_datalake()
    folder = datalake.table_dir(DATASET, TABLE)
    days = sorted(
        path.name for path in folder.glob("ano_particao=2022/mes_particao=1/*")
    )
    assert days == [f"data_particao=2022-01-{day:02d}" for day in range(1, 32)]
    per_day = datalake.query(
        f"select data_particao, count(*) as n from {DATASET}_staging.{TABLE} "
        "group by data_particao having n <> 24"
    )
    assert per_day == []
    assert datalake.last_partition_date(DATASET, TABLE).isoformat() == "2022-01-31"


def test_dump_url_flow_1746_keeps_id_bairro_integer_with_nulls(
    data_server, data_dir: Path
) -> None:
    state = run(
        data_server.data_url(CHAMADOS),
        dataset_id="adm_central_atendimento_1746",
        table_id="chamado",
        partition_columns="data_inicio",
    )

    assert state.is_successful(), state.message
    rows = raw_rows(data_dir / CHAMADOS, "utf-8", ",")
    got = get_datalake().query(
        "select count(*) as n, count(id_bairro) as com_bairro, sum(id_bairro) as soma, "
        "any_value(typeof(id_bairro)) as tipo, count(distinct data_particao) as dias "
        "from adm_central_atendimento_1746_staging.chamado"
    )
    assert got == [
        {
            "n": 1903,
            "com_bairro": 1903 - 131,
            "soma": sum(int(row[2]) for row in rows if row[2]),
            "tipo": "BIGINT",
            "dias": 1,
        }
    ]
    report = task_state(state, "dump_file_to_datalake").result
    assert (report.table, report.rows) == (
        "adm_central_atendimento_1746_staging.chamado",
        1903,
    )


FAILURES = [
    ("/missing.csv", {}, DownloadError, r"failed with HTTP 404 Not Found"),
    (
        "/error-page",
        {},
        DownloadError,
        r"returned an HTML page \(Content-Type 'text/html",
    ),
    (
        "/html-as-csv",
        {},
        DownloadError,
        r"returned an HTML page \(Content-Type 'text/csv'\)",
    ),
    (
        "/truncated",
        {},
        DownloadError,
        r"was cut off .*IncompleteRead.*nothing was loaded",
    ),
    ("/slow", {"timeout_seconds": 0.5}, DownloadError, r"timed out after 0\.5 s"),
    ("/empty", {}, DownloadError, r"returned an empty file; nothing to load"),
    ("/binary", {}, FileFormatError, r"is binary \(it holds NUL bytes\)"),
    (
        f"/data/{INMET}",
        {"encoding": "utf-8"},
        FileFormatError,
        r"is not valid utf-8: byte 0xc7",
    ),
    (
        f"/data/{INMET}",
        {"partition_columns": "hora_utc"},
        PartitionValueError,
        r"Partition column 'hora_utc' has 744 row\(s\) with no valid date",
    ),
    (
        f"/data/{INMET}",
        {"partition_columns": "data"},
        PartitionValueError,
        r"'data' has 744 row\(s\).*'01/01/2022'.*or pass partition_date_format",
    ),
    (
        f"/data/{INMET}",
        {"partition_columns": "data, hora_utc"},
        InvalidParameterError,
        r"partition_columns='data, hora_utc' names 2 columns; expected one date column",
    ),
    (
        f"/data/{INMET}",
        {"dump_mode": "replace"},
        InvalidParameterError,
        r"dump_mode='replace'",
    ),
]


@pytest.mark.parametrize(
    ("path", "parameters", "error", "message"),
    FAILURES,
    ids=[
        "404",
        "html-error-page",
        "html-as-csv",
        "truncated",
        "timeout",
        "empty",
        "binary",
        "wrong-encoding",
        "not-a-date",
        "date-without-format",
        "two-partition-columns",
        "bad-dump-mode",
    ],
)
def test_dump_url_flow_failure_leaves_the_loaded_table_untouched(
    data_server,
    isolated_datalake: Path,
    private_tempdir: Path,
    path: str,
    parameters: dict,
    error: type,
    message: str,
) -> None:
    loaded = run(data_server.data_url(CHAMADOS), dump_mode="overwrite")
    assert loaded.is_successful(), loaded.message
    before = files(isolated_datalake)

    state = run(data_server.url(path), **{"dump_mode": "overwrite", **parameters})

    assert state.is_failed()
    name = (
        "download_data_to_file" if error is DownloadError else "dump_file_to_datalake"
    )
    failed = task_state(state, name)
    assert failed.is_failed() and isinstance(failed.result, error)
    assert re.search(message, str(failed.result))
    assert re.search(message, failed.message)  # what the Prefect UI shows
    assert files(isolated_datalake) == before
    assert get_datalake().count_staging_rows(DATASET, TABLE) == 1903
    assert not any(private_tempdir.iterdir())


def test_dump_url_flow_overwrite_replaces_and_append_adds(data_server) -> None:
    datalake = get_datalake()

    assert run(
        data_server.data_url("rj_isp_delegacias.csv"), dump_mode="append"
    ).is_successful()
    assert run(
        data_server.data_url("rio_bairros_datario.csv"), dump_mode="append"
    ).is_successful()

    assert datalake.count_staging_rows(DATASET, TABLE) == 138 + 164
    columns = datalake.query(
        f"select count(cisp) as cisp, count(id_bairro) as bairros from {DATASET}_staging.{TABLE}"
    )
    assert columns == [{"cisp": 138, "bairros": 164}]

    state = run(data_server.data_url("rio_bairros_datario.csv"), dump_mode="overwrite")

    assert state.is_successful(), state.message
    names = datalake.query(f"select * from {DATASET}_staging.{TABLE} limit 1")[0].keys()
    assert sorted(names) == ["id_bairro", "nome", "subprefeitura"]
    assert datalake.count_staging_rows(DATASET, TABLE) == 164


@pytest.mark.parametrize(
    ("name", "partitions", "rows"),
    [
        (
            INMET,
            {"partition_columns": "data", "partition_date_format": "%d/%m/%Y"},
            744,
        ),
        (CHAMADOS, {"partition_columns": "data_inicio"}, 1903),
        ("rio_bairros_datario.csv", {}, 164),
    ],
    ids=["inmet-partitioned", "1746-partitioned", "bairros-unpartitioned"],
)
def test_dump_url_flow_append_rerun_does_not_duplicate(
    data_server, isolated_datalake: Path, name: str, partitions: dict, rows: int
) -> None:
    assert run(
        data_server.data_url(name), dump_mode="append", **partitions
    ).is_successful()
    before = files(isolated_datalake / "staging")

    state = run(data_server.data_url(name), dump_mode="append", **partitions)

    assert state.is_successful(), state.message
    assert get_datalake().count_staging_rows(DATASET, TABLE) == rows
    assert files(isolated_datalake / "staging") == before


def test_dump_url_flow_gzip_encoded_download_loads(data_server) -> None:
    state = run(data_server.url(f"/gzip/{CHAMADOS}"))

    assert state.is_successful(), state.message
    assert get_datalake().count_staging_rows(DATASET, TABLE) == 1903


def test_dump_url_flow_local_file_for_development(data_dir: Path) -> None:
    state = run(str(data_dir / INMET), delimiter=";", decimal=",", encoding="latin-1")

    assert state.is_successful(), state.message
    assert get_datalake().count_staging_rows(DATASET, TABLE) == 744


def test_dump_url_flow_dev_and_prod_materialize_in_different_schemas(
    data_server,
) -> None:
    dataset = "adm_central_atendimento_1746"
    common = {
        "dataset_id": dataset,
        "table_id": "chamado",
        "partition_columns": "data_inicio",
        "materialize_after_dump": True,
    }
    datalake = get_datalake()

    dev = run(data_server.data_url(CHAMADOS), materialization_mode="dev", **common)

    assert dev.is_successful(), dev.message
    schemas = {
        row["s"]
        for row in datalake.query(
            "select distinct table_schema as s from information_schema.tables"
        )
    }
    assert f"{dataset}_dev" in schemas and dataset not in schemas

    prod = run(data_server.data_url(CHAMADOS), materialization_mode="prod", **common)

    assert prod.is_successful(), prod.message
    for mode in ("dev", "prod"):
        table = datalake.materialized_table(dataset, "chamado", mode)
        counted = datalake.query(
            f"select count(*) as n, count(id_bairro) as b from {table}"
        )
        assert counted == [{"n": 1903, "b": 1903 - 131}], mode
