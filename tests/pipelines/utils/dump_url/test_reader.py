"""Format detection and typed reading of the real samples, checked against raw bytes."""

import codecs
import csv
import gzip
import random
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.utils.dump_url.columns import clean_column_names
from pipelines.utils.dump_url.reader import CsvFormat, detect_format, read_delimited
from pipelines.utils.exceptions import FileFormatError

INMET = "inmet_a652_rio_forte_copacabana_2022-01.csv"
CHAMADOS = "rio_1746_chamados_2023-04-01.csv"
INMET_TEXT_COLUMNS = {"data", "hora_utc"}


def read_raw(
    path: Path, encoding: str, delimiter: str
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a file, parsed by hand with the csv module."""
    with open(path, encoding=encoding, newline="") as file:
        header, *rows = list(csv.reader(file, delimiter=delimiter))
    return header, rows


@pytest.mark.parametrize(
    ("name", "delimiter", "decimal"),
    [
        (INMET, ";", ","),
        (CHAMADOS, ",", "."),
        ("rio_bairros_datario.csv", ",", "."),
        ("rj_isp_delegacias.csv", ";", "."),
    ],
)
def test_detect_format_real_samples(
    data_dir: Path, name: str, delimiter: str, decimal: str
) -> None:
    found = detect_format(data_dir / name)

    assert (found.delimiter, found.decimal) == (delimiter, decimal)


def test_detect_format_inmet_encoding_decodes_like_latin1(data_dir: Path) -> None:
    raw = (data_dir / INMET).read_bytes()

    found = detect_format(data_dir / INMET)

    assert found.encoding != "utf-8"
    assert raw.decode(found.encoding) == raw.decode("latin-1")


def test_detect_format_utf8_with_bom_strips_it(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + "Código;Valor\n1;2,5\n".encode())

    found = detect_format(path)

    assert found == CsvFormat(encoding="utf-8-sig", delimiter=";", decimal=",")
    assert read_delimited(path, found).column_names == ["codigo", "valor"]


def test_detect_format_utf16_excel_export_is_text_not_binary(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    text = "Código\tValor\r\n7\t2,5\r\n\t3,0\r\n"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

    found = detect_format(path)
    table = read_delimited(path, found)

    assert (found.encoding, found.delimiter, found.decimal) == ("utf-16", "\t", ",")
    assert table.to_pydict() == {"codigo": [7, None], "valor": [2.5, 3.0]}


def test_detect_format_given_values_are_kept(data_dir: Path) -> None:
    found = detect_format(
        data_dir / INMET, encoding="latin-1", delimiter=";", decimal=","
    )

    assert found == CsvFormat(encoding="latin-1", delimiter=";", decimal=",")


def test_read_delimited_inmet_matches_the_raw_file_value_by_value(
    data_dir: Path,
) -> None:
    path = data_dir / INMET
    header, rows = read_raw(path, "latin-1", ";")

    table = read_delimited(path, detect_format(path))

    assert table.num_rows == len(rows) == 744
    assert table.column_names == clean_column_names(header)
    for index, name in enumerate(table.column_names):
        raw = [row[index] for row in rows]
        if name in INMET_TEXT_COLUMNS:
            expected = raw
        else:
            expected = [float(cell.replace(",", ".")) if cell else None for cell in raw]
        assert table.column(name).to_pylist() == expected, name


def test_read_delimited_inmet_decimal_comma_and_types(data_dir: Path) -> None:
    path = data_dir / INMET

    table = read_delimited(path, detect_format(path))

    pressure = table.column("pressao_atmosferica_ao_nivel_da_estacao_horaria_mb")
    assert pressure.type == pa.float64()
    assert 1004.9 in pressure.to_pylist()
    assert table.schema.field("umidade_relativa_do_ar_horaria").type == pa.int64()
    assert table.column("radiacao_global_kj_m2").null_count == 311
    assert max(table.column("precipitacao_total_horario_mm").to_pylist()) == 11.6
    assert table.column("data").to_pylist()[:2] == ["01/01/2022", "01/01/2022"]
    assert table.column("hora_utc").to_pylist()[:2] == ["0000 UTC", "0100 UTC"]


def test_read_delimited_chamados_keeps_id_bairro_integer_with_nulls(
    data_dir: Path,
) -> None:
    path = data_dir / CHAMADOS
    _, rows = read_raw(path, "utf-8", ",")

    table = read_delimited(path, detect_format(path))

    assert table.schema.field("id_bairro").type == pa.int64()
    assert table.column("id_bairro").null_count == 131
    assert table.column("id_bairro").to_pylist() == [
        int(r[2]) if r[2] else None for r in rows
    ]
    assert table.column("id_chamado").to_pylist() == [int(r[0]) for r in rows]
    assert table.schema.field("data_inicio").type == pa.timestamp("s")
    assert table.column("data_inicio").to_pylist() == [
        datetime.fromisoformat(r[1]) for r in rows
    ]
    assert table.column("tipo").to_pylist() == [r[3] for r in rows]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "decimal"),
    [
        ("utf-8", ",", "."),
        ("latin-1", ";", ","),
        ("utf-8", "\t", ","),
        ("utf-8", "|", "."),
    ],
)
def test_read_delimited_integer_column_with_empty_cells_stays_int64(
    tmp_path: Path, encoding: str, delimiter: str, decimal: str
) -> None:
    lines = [
        ["código", "valor", "nome"],
        ["3", "1.5", "São"],
        ["", "2", ""],
        ["7", "", "Méier"],
    ]
    text = "\r\n".join(delimiter.join(line) for line in lines).replace(".", decimal)
    path = tmp_path / "ints.csv"
    path.write_bytes(text.encode(encoding))

    table = read_delimited(path, detect_format(path))

    assert table.schema.field("codigo").type == pa.int64()
    assert table.column("codigo").to_pylist() == [3, None, 7]
    assert table.column("valor").to_pylist() == [1.5, 2.0, None]
    assert table.column("nome").to_pylist() == ["São", None, "Méier"]


def test_read_delimited_leading_zeros_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(
        "cep,cpf,quantidade\n01310100,01234567890,10\n20040002,11122233344,0\n"
    )

    table = read_delimited(path, detect_format(path))

    assert table.to_pydict() == {
        "cep": ["01310100", "20040002"],
        "cpf": ["01234567890", "11122233344"],
        "quantidade": [10, 0],
    }


def test_read_delimited_duplicate_and_accented_headers_are_cleaned(
    tmp_path: Path,
) -> None:
    path = tmp_path / "headers.csv"
    path.write_text("Nome,NOME,Área (km²),2022,\na,b,1,2,3\n")

    table = read_delimited(path, detect_format(path))

    assert table.column_names == ["nome", "nome_2", "area_km2", "_2022", "coluna"]


def test_read_delimited_ragged_line_raises(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")

    with pytest.raises(
        FileFormatError, match=r"'ragged\.csv' could not be read .*Expected 2"
    ):
        read_delimited(path, detect_format(path))


def test_detect_format_wrong_explicit_encoding_raises(data_dir: Path) -> None:
    with pytest.raises(
        FileFormatError,
        match=r"is not valid utf-8: byte 0xc7 at offset \d+\. Pass the file's real encoding",
    ):
        detect_format(data_dir / INMET, encoding="utf-8")


def test_detect_format_unknown_encoding_raises(data_dir: Path) -> None:
    with pytest.raises(
        FileFormatError, match=r"encoding='latin-9000' is not an encoding"
    ):
        detect_format(data_dir / INMET, encoding="latin-9000")


def test_detect_format_binary_file_raises(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "chamados.csv.gz"
    path.write_bytes(gzip.compress((data_dir / CHAMADOS).read_bytes()))

    with pytest.raises(FileFormatError, match=r"'chamados\.csv\.gz' is binary"):
        detect_format(path)


def test_detect_format_undecodable_bytes_raise(tmp_path: Path) -> None:
    """Random bytes with no NUL: no encoding fits them."""
    generator = random.Random(7)
    path = tmp_path / "noise.csv"
    path.write_bytes(bytes(generator.randrange(1, 256) for _ in range(5000)))

    with pytest.raises(
        FileFormatError, match=r"'noise\.csv' is not text in any encoding"
    ):
        detect_format(path)
