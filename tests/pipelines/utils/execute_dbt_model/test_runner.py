"""dbt runs in-process on the real project with dbt-duckdb; dev and prod never mix."""

import pyarrow as pa
import pytest

from pipelines.utils.datalake import get_datalake
from pipelines.utils.exceptions import InvalidParameterError, MaterializationError
from pipelines.utils.execute_dbt_model.runner import default_selector, run_dbt


@pytest.fixture
def staged_calls() -> None:
    """Three calls in the staging table the geolocator models read from."""
    table = pa.table(
        {
            "id_chamado": [1, 2, 3],
            "data_inicio": [
                "2023-04-01 08:00:00",
                "2023-04-01 09:00:00",
                "2023-04-01 10:00:00",
            ],
            "id_bairro": pa.array([15, None, 15], pa.int64()),
            "tipo": ["Estacionamento ", "Iluminação Pública", "Estacionamento "],
        }
    )
    with get_datalake().staging_writer(
        "adm_central_atendimento_1746",
        "chamado",
        "overwrite",
        partition_date_column="data_inicio",
    ) as writer:
        writer.write(table)


def build(mode: str, selector: str | None = None) -> list[str]:
    datalake = get_datalake()
    return run_dbt(
        selector
        or default_selector("adm_central_atendimento_1746", "chamados_por_bairro_tipo"),
        backend=datalake.name,
        materialization_mode=mode,
        environment=datalake.dbt_environment(),
    )


def test_run_dbt_dev_and_prod_land_in_different_schemas(staged_calls: None) -> None:
    dev = build("dev")
    prod = build("prod")
    assert "adm_central_atendimento_1746_dev.chamados_por_bairro_tipo" in dev
    assert "adm_central_atendimento_1746.chamados_por_bairro_tipo" in prod
    assert not set(dev) & set(prod)
    rows = get_datalake().query(
        "select tipo, bairro, quantidade_chamados from "
        "adm_central_atendimento_1746.chamados_por_bairro_tipo order by tipo"
    )
    assert rows == [
        {"tipo": "Estacionamento", "bairro": "Flamengo", "quantidade_chamados": 2},
        {"tipo": "Iluminação Pública", "bairro": None, "quantidade_chamados": 1},
    ]


def test_run_dbt_unknown_mode_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="materialization_mode='staging'"):
        build("staging")


def test_run_dbt_selector_matching_nothing_is_an_error(staged_calls: None) -> None:
    with pytest.raises(MaterializationError, match="matched no model"):
        build("dev", default_selector("adm_central_atendimento_1746", "nao_existe"))


def test_run_dbt_failing_model_names_the_node() -> None:
    """A model over a staging table that was never loaded fails with its node id."""
    with pytest.raises(MaterializationError, match="model.pipelines.chamado"):
        build("dev")
