"""The geolocator flow on the real 1746 sample, checked against the CSV value by value."""

import csv
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from pipelines.rj_escritorio.geolocator.flows import daily_geolocator_flow
from pipelines.utils.datalake import get_datalake

DATA = Path(__file__).resolve().parents[4] / "pipelines/rj_escritorio/geolocator/data"
BAIRROS = Path(__file__).resolve().parents[4] / "queries/seeds/dados_mestres/bairro.csv"


def expected_calls() -> tuple[Counter, Counter]:
    """Calls per bairro name and per (bairro, tipo), counted straight from the CSVs."""
    with open(BAIRROS, encoding="utf-8") as file:
        names = {row["id_bairro"]: row["nome"] for row in csv.DictReader(file)}
    per_bairro: Counter = Counter()
    per_bairro_tipo: Counter = Counter()
    with open(DATA / "rio_1746_chamados_2023-04-01.csv", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            bairro = names.get(row["id_bairro"]) if row["id_bairro"] else None
            per_bairro[bairro] += 1
            per_bairro_tipo[(bairro, row["tipo"].strip())] += 1
    return per_bairro, per_bairro_tipo


@pytest.fixture(scope="module")
def flow_run(tmp_path_factory: pytest.TempPathFactory):
    """Runs the flow once, in dev mode, into a fresh datalake."""
    root = tmp_path_factory.mktemp("datalake")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIPELINES_DATALAKE_ROOT", str(root))
        state = daily_geolocator_flow.run(run_on_schedule=False)
        yield state, get_datalake()


def test_geolocator_flow_succeeds_on_the_real_sample(flow_run) -> None:
    state, _ = flow_run
    assert state.is_successful(), state.message


def test_geolocator_flow_counts_calls_and_calls_without_bairro(flow_run) -> None:
    _, datalake = flow_run
    rows = datalake.query(
        "select sum(quantidade_chamados) as total, "
        "sum(quantidade_chamados) filter (where bairro is null) as sem_bairro "
        "from adm_central_atendimento_1746_dev.chamados_por_bairro_tipo"
    )
    assert rows == [{"total": 1903, "sem_bairro": 131}]


@pytest.mark.parametrize(
    "bairro", ["Campo Grande", "Copacabana", "Tijuca", "Bangu", "Centro"]
)
def test_geolocator_flow_counts_per_bairro_match_the_csv(flow_run, bairro: str) -> None:
    _, datalake = flow_run
    per_bairro, _ = expected_calls()
    rows = datalake.query(
        "select sum(quantidade_chamados) as n from "
        f"adm_central_atendimento_1746_dev.chamados_por_bairro_tipo where bairro = '{bairro}'"
    )
    assert per_bairro[bairro] > 0
    assert rows[0]["n"] == per_bairro[bairro]


def test_geolocator_flow_counts_per_bairro_and_tipo_match_the_csv(flow_run) -> None:
    _, datalake = flow_run
    _, per_bairro_tipo = expected_calls()
    rows = datalake.query(
        "select bairro, tipo, quantidade_chamados "
        "from adm_central_atendimento_1746_dev.chamados_por_bairro_tipo"
    )
    got = {(row["bairro"], row["tipo"]): row["quantidade_chamados"] for row in rows}
    assert got == dict(per_bairro_tipo)


def test_geolocator_flow_stages_partitioned_parquet(flow_run) -> None:
    _, datalake = flow_run
    folder = datalake.table_dir("adm_central_atendimento_1746", "chamado")
    partitions = sorted(p.relative_to(folder).as_posix() for p in folder.glob("*/*/*"))
    assert partitions == ["ano_particao=2023/mes_particao=4/data_particao=2023-04-01"]
    assert (
        datalake.count_staging_rows("adm_central_atendimento_1746", "chamado") == 1903
    )


def test_geolocator_flow_dev_mode_leaves_prod_schema_empty(flow_run) -> None:
    _, datalake = flow_run
    with duckdb.connect(str(datalake.warehouse_path)) as connection:
        schemas = {
            row[0]
            for row in connection.execute(
                "select distinct table_schema from information_schema.tables"
            ).fetchall()
        }
    assert "adm_central_atendimento_1746_dev" in schemas
    assert "adm_central_atendimento_1746" not in schemas


def test_geolocator_flow_rerun_in_prod_mode_does_not_duplicate(flow_run) -> None:
    _, datalake = flow_run
    state = daily_geolocator_flow.run(
        parameters={"materialization_mode": "prod"}, run_on_schedule=False
    )
    assert state.is_successful(), state.message
    assert (
        datalake.count_staging_rows("adm_central_atendimento_1746", "chamado") == 1903
    )
    total = datalake.query(
        "select sum(quantidade_chamados) as n "
        "from adm_central_atendimento_1746.chamados_por_bairro_tipo"
    )
    assert total == [{"n": 1903}]
