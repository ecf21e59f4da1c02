"""Column names made ASCII snake_case and unique, on real headers and edge cases."""

from pathlib import Path

import pytest

from pipelines.utils.dump_url.columns import clean_column_name, clean_column_names


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("PRECIPITAÇÃO TOTAL, HORÁRIO (mm)", "precipitacao_total_horario_mm"),
        ("RADIACAO GLOBAL (Kj/m²)", "radiacao_global_kj_m2"),
        (
            "TEMPERATURA DO AR - BULBO SECO, HORARIA (°C)",
            "temperatura_do_ar_bulbo_seco_horaria_c",
        ),
        ("UMIDADE REL. MAX. NA HORA ANT. (AUT) (%)", "umidade_rel_max_na_hora_ant_aut"),
        ("VENTO, DIREÇÃO HORARIA (gr) (° (gr))", "vento_direcao_horaria_gr_gr"),
        ("Hora UTC", "hora_utc"),
        ("id_chamado", "id_chamado"),
        ("  Nome do Bairro  ", "nome_do_bairro"),
        ("São João de Meriti", "sao_joao_de_meriti"),
        ("camelCase", "camelcase"),
        ("2022", "_2022"),
        ("1º trimestre", "_1o_trimestre"),
        ("", "coluna"),
        ("°%", "coluna"),
    ],
)
def test_clean_column_name_examples(raw: str, clean: str) -> None:
    assert clean_column_name(raw) == clean


@pytest.mark.parametrize("raw", ["PRESSÃO (mB)", "2022", "a__b", "Ação"])
def test_clean_column_name_is_idempotent(raw: str) -> None:
    once = clean_column_name(raw)

    assert clean_column_name(once) == once


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (["Data", "data", "DATA"], ["data", "data_2", "data_3"]),
        (["a", "a", "a_2"], ["a", "a_2", "a_2_2"]),
        (["a_2", "a", "a"], ["a_2", "a", "a_3"]),
        (["", "", "x"], ["coluna", "coluna_2", "x"]),
        (["Ação", "Acao"], ["acao", "acao_2"]),
    ],
)
def test_clean_column_names_makes_collisions_unique(
    raw: list[str], clean: list[str]
) -> None:
    assert clean_column_names(raw) == clean


def test_clean_column_names_inmet_header_is_unique_ascii_snake_case(
    data_dir: Path,
) -> None:
    raw_header = (
        (data_dir / "inmet_a652_rio_forte_copacabana_2022-01.csv")
        .read_bytes()
        .decode("latin-1")
        .splitlines()[0]
        .split(";")
    )

    names = clean_column_names(raw_header)

    assert len(names) == len(set(names)) == 19
    for name in names:
        assert name.isascii() and name == name.lower(), name
        assert name.replace("_", "").isalnum() and not name.startswith("_"), name
