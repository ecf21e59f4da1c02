"""Every supported type survives the trip from PostgreSQL and MariaDB to Parquet.

Values are compared one by one, types column by column: integers with NULLs stay
integers, decimals keep their scale, dates stay dates, zone-aware timestamps keep
their instant (UTC, with the zone), naive ones stay naive, text keeps accents and
emoji, binary stays bytes.
"""

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq

from tests.pipelines.utils.dump_db.databases import SourceDatabase, read_staging

UTC = timezone.utc
TEXT = "Ação, pão, açaí — Praça São Salvador 😀🇧🇷"

TABLES = {
    "postgresql": """
        CREATE TABLE {table} (
            id integer PRIMARY KEY,
            inteiro_nulo bigint,
            pequeno smallint,
            valor numeric(12, 2),
            grande numeric(30, 10),
            data date,
            momento timestamptz,
            ingenuo timestamp,
            ativo boolean,
            texto text,
            binario bytea,
            real double precision,
            sempre_nulo integer
        )
    """,
    "mysql": """
        CREATE TABLE {table} (
            id INT PRIMARY KEY,
            inteiro_nulo BIGINT NULL,
            pequeno SMALLINT,
            valor DECIMAL(12, 2),
            grande DECIMAL(30, 10),
            data DATE,
            momento TIMESTAMP(6) NULL,
            ingenuo DATETIME(6),
            ativo BOOLEAN,
            texto TEXT CHARACTER SET utf8mb4,
            binario BLOB,
            `real` DOUBLE,
            sempre_nulo INT
        ) DEFAULT CHARSET = utf8mb4
    """,
}

ROWS = [
    {
        "id": 1,
        "inteiro_nulo": None,
        "pequeno": 7,
        "valor": Decimal("1234567890.12"),
        "grande": Decimal("12345678901234567890.0123456789"),
        "data": date(2024, 2, 29),
        # 23:30 of 2024-02-29 in Rio is 02:30 of 2024-03-01 in UTC
        "momento": datetime(2024, 3, 1, 2, 30, 0, 123456, tzinfo=UTC),
        "ingenuo": datetime(2024, 3, 1, 2, 30, 0, 654321),
        "ativo": True,
        "texto": TEXT,
        "binario": b"\x00\xff\x10\x00",
        "real": 1.5,
        "sempre_nulo": None,
    },
    {
        "id": 2,
        # 2**53 + 1: a float would round it
        "inteiro_nulo": 9007199254740993,
        "pequeno": -32768,
        "valor": Decimal("-0.01"),
        "grande": Decimal("0E-10"),
        "data": date(1990, 1, 1),
        "momento": datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        "ingenuo": datetime(2038, 1, 19, 3, 14, 8),
        "ativo": False,
        "texto": "",
        "binario": b"",
        "real": -2.25,
        "sempre_nulo": None,
    },
    {
        "id": 3,
        "inteiro_nulo": None,
        "pequeno": None,
        "valor": None,
        "grande": None,
        "data": None,
        "momento": None,
        "ingenuo": None,
        "ativo": None,
        "texto": None,
        "binario": None,
        "real": None,
        "sempre_nulo": None,
    },
]

EXPECTED_TYPES = {
    "id": pa.int32(),
    "inteiro_nulo": pa.int64(),
    "pequeno": pa.int16(),
    "valor": pa.decimal128(12, 2),
    "grande": pa.decimal128(30, 10),
    "data": pa.date32(),
    "momento": pa.timestamp("us", tz="UTC"),
    "ingenuo": pa.timestamp("us"),
    "ativo": pa.bool_(),
    "texto": pa.string(),
    "binario": pa.binary(),
    "real": pa.float64(),
    "sempre_nulo": pa.int32(),
}


def create_typed_table(source: SourceDatabase, name: str) -> str:
    """Creates the table of every type with `ROWS` in it; returns its name."""
    table = source.table(name)
    source.execute(TABLES[source.db_type].format(table=table))
    columns = list(ROWS[0])
    quoted = ", ".join(
        f"`{c}`" if source.db_type == "mysql" else f'"{c}"' for c in columns
    )
    placeholders = ", ".join(["%s"] * len(columns))
    if source.db_type == "mysql":
        # TIMESTAMP literals are read in the session's zone: write them as UTC
        source.execute("SET time_zone = '+00:00'")
    for row in ROWS:
        values = [
            (
                value.replace(tzinfo=None)
                if source.db_type == "mysql" and key == "momento" and value
                else value
            )
            for key, value in row.items()
        ]
        source.execute(
            f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})", parameters=values
        )
    return table


def test_dump_keeps_every_type_value_by_value(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    table = create_typed_table(source, "tipos")

    report = dump(source, f"SELECT * FROM {table}", "tipos", dump_mode="overwrite")

    data = read_staging(isolated_datalake, "tipos").sort_by("id")
    assert {field.name: field.type for field in data.schema} == EXPECTED_TYPES
    assert data.to_pylist() == ROWS
    assert report.rows == len(ROWS)


def test_dump_of_an_empty_result_publishes_nothing(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    table = create_typed_table(source, "tipos_vazia")
    staging = isolated_datalake / "staging"

    report = dump(source, f"SELECT * FROM {table} WHERE id < 0", "tipos_vazia")

    assert report.details["read"] == 0
    assert not (staging / "teste_dump_db" / "tipos_vazia").exists()


def test_dump_keeps_integers_when_a_whole_batch_is_null(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    table = create_typed_table(source, "tipos_lotes")

    dump(
        source,
        f"SELECT id, inteiro_nulo FROM {table} ORDER BY id",
        "tipos_lotes",
        batch_size=1,
    )

    folder = isolated_datalake / "staging" / "teste_dump_db" / "tipos_lotes"
    schemas = {
        pq.read_schema(path).field("inteiro_nulo").type
        for path in folder.glob("*.parquet")
    }
    assert len(list(folder.glob("*.parquet"))) == 3  # one file per batch of one row
    assert schemas == {pa.int64()}


def test_dump_reads_postgres_json_uuid_and_unconstrained_numeric(
    postgres_source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    query = (
        'SELECT 1 AS id, \'{"bairro": "Méier"}\'::jsonb AS dados, '
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS codigo, "
        "123.456789::numeric AS livre, 'a:b'::text AS com_dois_pontos"
    )

    dump(postgres_source, query, "extras")

    row = read_staging(isolated_datalake, "extras").to_pylist()[0]
    assert row == {
        "id": 1,
        "dados": '{"bairro": "Méier"}',
        "codigo": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "livre": "123.456789",
        "com_dois_pontos": "a:b",
    }


def test_dump_sends_percent_signs_and_colons_unchanged(
    source: SourceDatabase, dump: Callable[..., Any], isolated_datalake: Path
) -> None:
    table = source.table("simbolos")
    source.execute(f"CREATE TABLE {table} (id integer, nome varchar(20), dia date)")
    source.execute(
        f"INSERT INTO {table} VALUES (1, '100% ok', '2024-01-01'), "
        "(2, 'às 12:30', '2024-01-02'), (3, 'outro', '2024-01-02')"
    )
    query = (
        f"SELECT id, nome, dia, '12:30' AS hora FROM {table} "
        "WHERE nome LIKE '%\\%%' OR nome LIKE '%:30'"
        if source.db_type == "mysql"
        else f"SELECT id, nome, dia, '12:30' AS hora FROM {table} "
        "WHERE nome LIKE '%\\%%' ESCAPE '\\' OR nome LIKE '%:30'"
    )

    for options in ({}, {"partition_columns": "dia", "lower_bound_date": "2024-01-01"}):
        dump(source, query, "simbolos", dump_mode="append", **options)
        rows = read_staging(isolated_datalake, "simbolos").sort_by("id").to_pylist()
        assert [(row["id"], row["nome"], row["hora"]) for row in rows] == [
            (1, "100% ok", "12:30"),
            (2, "às 12:30", "12:30"),
        ]
        (isolated_datalake / "staging").rename(
            isolated_datalake / f"antes-{len(options)}"
        )
