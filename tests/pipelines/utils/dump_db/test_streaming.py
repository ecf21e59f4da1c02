"""The pieces that keep memory bounded: equal batches, bounded read-ahead, and the
MySQL field mapping that fixes each column's type before the first row."""

import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pyarrow as pa
import pytest

from pipelines.utils.dump_db.dump import read_ahead
from pipelines.utils.dump_db.sources import rebatch
from pipelines.utils.dump_db.types import mysql_columns


def batches_of(*sizes: int) -> list[pa.RecordBatch]:
    """Record batches of those sizes, numbering the rows from 0 across them."""
    start = 0
    batches = []
    for size in sizes:
        batches.append(
            pa.record_batch({"id": pa.array(range(start, start + size), pa.int64())})
        )
        start += size
    return batches


def test_rebatch_cuts_equal_batches_in_order() -> None:
    result = list(rebatch(iter(batches_of(3, 0, 10, 1, 4)), 5))

    assert [batch.num_rows for batch in result] == [5, 5, 5, 3]
    assert pa.Table.from_batches(result).column("id").to_pylist() == list(range(18))


def test_read_ahead_never_holds_more_than_its_depth() -> None:
    produced = []
    held_at_most = 0

    def numbers() -> Iterator[int]:
        for number in range(50):
            produced.append(number)
            yield number

    consumed = []
    for number in read_ahead(numbers(), 2):
        # the producer may be at most depth items, plus the one it holds, ahead
        held_at_most = max(held_at_most, len(produced) - len(consumed) - 1)
        consumed.append(number)

    assert consumed == list(range(50))
    assert held_at_most <= 3


def test_read_ahead_raises_the_producer_error_in_the_consumer() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ConnectionResetError("connection reset by peer")

    with pytest.raises(ConnectionResetError, match="reset by peer"):
        list(read_ahead(failing(), 2))


def test_read_ahead_stops_and_closes_the_producer_when_the_consumer_stops() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            number = 0
            while True:
                yield number
                number += 1
        finally:
            closed.set()

    stream = read_ahead(endless(), 2)
    assert next(stream) == 0
    stream.close()

    assert closed.is_set()
    assert not any(thread.name == "dump_db-reader" for thread in threading.enumerate())


def field(
    name: str,
    type_code: int,
    length: int,
    scale: int = 0,
    *,
    flags: int = 0,
    charset: int = 63,
) -> SimpleNamespace:
    """A pymysql result field, as MariaDB describes a column."""
    return SimpleNamespace(
        name=name,
        type_code=type_code,
        length=length,
        scale=scale,
        flags=flags,
        charsetnr=charset,
    )


def test_mysql_fields_map_to_arrow_types() -> None:
    fields = [
        field("ativo", 1, 1),
        field("nivel", 1, 4),
        field("grande", 8, 20, flags=32),
        field("valor", 246, 14, 2),
        field("positivo", 246, 13, 2, flags=32),
        field("momento", 7, 26, 6),
        field("registro", 12, 26, 6),
        field("texto", 252, 262140, charset=45),
        field("arquivo", 252, 65535, charset=63),
        field("dados", 245, 4294967295, charset=63),  # MySQL 8 reports JSON as binary
        field("hora", 11, 10),
    ]

    columns = mysql_columns(fields)

    assert {column.name: column.arrow_type for column in columns} == {
        "ativo": pa.bool_(),
        "nivel": pa.int8(),
        "grande": pa.uint64(),
        "valor": pa.decimal128(12, 2),
        "positivo": pa.decimal128(12, 2),
        "momento": pa.timestamp("us", tz="UTC"),
        "registro": pa.timestamp("us"),
        "texto": pa.string(),
        "arquivo": pa.binary(),
        "dados": pa.string(),
        "hora": pa.string(),
    }
    assert [column.name for column in columns if column.is_text_fallback] == ["hora"]
