"""Partition columns derived from dates, and the dates that must be refused."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from pipelines.utils.datalake.partitions import add_partition_columns
from pipelines.utils.exceptions import PartitionValueError


def partitions_of(table: pa.Table) -> list[tuple[int, int, str]]:
    return list(
        zip(
            table.column("ano_particao").to_pylist(),
            table.column("mes_particao").to_pylist(),
            table.column("data_particao").to_pylist(),
        )
    )


@pytest.mark.parametrize(
    ("values", "date_format"),
    [
        (pa.array([date(2023, 4, 1), date(2022, 12, 31)], pa.date32()), None),
        (pa.array([date(2023, 4, 1), date(2022, 12, 31)], pa.date64()), None),
        (
            pa.array(
                [datetime(2023, 4, 1, 23, 59), datetime(2022, 12, 31)],
                pa.timestamp("s"),
            ),
            None,
        ),
        (
            pa.array(
                [datetime(2023, 4, 1, 18, 3), datetime(2022, 12, 31)],
                pa.timestamp("ns"),
            ),
            None,
        ),
        (pa.array(["2023-04-01", "2022-12-31"]), None),
        (pa.array(["2023-04-01 18:03:14", " 2022-12-31T00:00:00 "]), None),
        (pa.array(["01/04/2023", "31/12/2022"]), "%d/%m/%Y"),
        (pa.array(["1/4/2023", "31/12/2022"]), "%d/%m/%Y"),
        (pa.array(["01/04/2023 10:00", "31/12/2022 23:59"]), "%d/%m/%Y %H:%M"),
        (pa.array(["2023-04-01", "2022-12-31"], pa.large_string()), None),
    ],
    ids=[
        "date32",
        "date64",
        "timestamp-s",
        "timestamp-ns",
        "iso-date",
        "iso-timestamp",
        "dd/mm/yyyy",
        "d/m/yyyy",
        "dd/mm/yyyy-hh:mm",
        "large-string",
    ],
)
def test_add_partition_columns_supported_types(
    values: pa.Array, date_format: str | None
) -> None:
    table = pa.table({"id": [1, 2], "quando": values})

    result = add_partition_columns(table, "quando", date_format)

    assert partitions_of(result) == [(2023, 4, "2023-04-01"), (2022, 12, "2022-12-31")]
    assert result.column_names == [
        "id",
        "quando",
        "ano_particao",
        "mes_particao",
        "data_particao",
    ]
    assert result.schema.field("ano_particao").type == pa.int32()
    assert result.schema.field("mes_particao").type == pa.int32()
    assert result.column("quando").equals(table.column("quando"))


@pytest.mark.parametrize(
    ("instant", "rio_date"),
    [
        (datetime(2023, 4, 2, 1, 0, tzinfo=timezone.utc), "2023-04-01"),
        (datetime(2023, 4, 2, 2, 59, tzinfo=timezone.utc), "2023-04-01"),
        (datetime(2023, 4, 2, 3, 0, tzinfo=timezone.utc), "2023-04-02"),
        # Brazilian summer time (UTC-2) was still in force in January 2019.
        (datetime(2019, 1, 15, 2, 30, tzinfo=timezone.utc), "2019-01-15"),
        (datetime(2019, 1, 15, 1, 30, tzinfo=timezone.utc), "2019-01-14"),
    ],
)
def test_add_partition_columns_tz_aware_timestamp_uses_the_rio_date(
    instant: datetime, rio_date: str
) -> None:
    table = pa.table({"quando": pa.array([instant], pa.timestamp("us", "UTC"))})

    result = add_partition_columns(table, "quando")

    assert result.column("data_particao").to_pylist() == [rio_date]
    assert (
        rio_date == instant.astimezone(ZoneInfo("America/Sao_Paulo")).date().isoformat()
    )


def test_add_partition_columns_other_zone_is_converted_to_rio() -> None:
    manaus = ZoneInfo("America/Manaus")  # UTC-4: 23:30 there is 00:30 next day in Rio
    instant = datetime(2023, 4, 1, 23, 30, tzinfo=manaus)
    table = pa.table(
        {"quando": pa.array([instant], pa.timestamp("s", "America/Manaus"))}
    )

    result = add_partition_columns(table, "quando")

    assert result.column("data_particao").to_pylist() == ["2023-04-02"]


def test_add_partition_columns_many_days_in_one_table() -> None:
    days = [date(2022, 1, 1) + timedelta(days=offset) for offset in range(400)]
    table = pa.table({"quando": [day.strftime("%d/%m/%Y") for day in days]})

    result = add_partition_columns(table, "quando", "%d/%m/%Y")

    assert result.column("data_particao").to_pylist() == [
        day.isoformat() for day in days
    ]
    assert result.column("mes_particao").to_pylist() == [day.month for day in days]


@pytest.mark.parametrize(
    ("values", "date_format", "message"),
    [
        (
            pa.array([date(2023, 4, 1), None]),
            None,
            r"1 row\(s\) with no valid date \(first rows \[1\], values \[None\]\)",
        ),
        (pa.array([datetime(2023, 4, 1), None]), None, r"values \[None\]"),
        (pa.array(["2023-04-01", None, ""]), None, r"2 row\(s\).*values \[None, ''\]"),
        (
            pa.array(["ontem", "2023-04-01"]),
            None,
            r"values \['ontem'\].*or pass partition_date_format",
        ),
        (pa.array(["01/04/2023"]), None, r"values \['01/04/2023'\]"),
        (
            pa.array(["2023-04-01"]),
            "%d/%m/%Y",
            r"values \['2023-04-01'\]\).*another partition column\.$",
        ),
        (
            pa.array(["nan", "NaT", "None"]),
            None,
            r"3 row\(s\).*\['nan', 'NaT', 'None'\]",
        ),
    ],
    ids=[
        "null-date",
        "null-timestamp",
        "null-and-empty-text",
        "text",
        "non-iso",
        "wrong-format",
        "nan-text",
    ],
)
def test_add_partition_columns_missing_or_unparseable_date_raises(
    values: pa.Array, date_format: str | None, message: str
) -> None:
    table = pa.table({"data_chamado": values})

    with pytest.raises(
        PartitionValueError, match=r"Partition column 'data_chamado' has .*" + message
    ):
        add_partition_columns(table, "data_chamado", date_format)


@pytest.mark.parametrize(
    ("value", "date_format"),
    [
        ("2023-02-29", None),
        ("2023-04-31 10:00:00", None),
        ("2023-02-30", None),
        ("29/02/2023", "%d/%m/%Y"),
        ("31/04/2022", "%d/%m/%Y"),
    ],
)
def test_add_partition_columns_impossible_date_is_refused_not_rolled_over(
    value: str, date_format: str | None
) -> None:
    table = pa.table(
        {"quando": ["2023-03-01" if date_format is None else "01/03/2023", value]}
    )

    with pytest.raises(
        PartitionValueError, match=rf"first rows \[1\], values \['{value}'\]"
    ):
        add_partition_columns(table, "quando", date_format)


def test_add_partition_columns_leap_day_is_accepted() -> None:
    table = pa.table({"quando": ["2024-02-29", "29/02/2024"]})

    iso = add_partition_columns(table.slice(0, 1), "quando")
    brazilian = add_partition_columns(table.slice(1, 1), "quando", "%d/%m/%Y")

    assert iso.column("data_particao").to_pylist() == ["2024-02-29"]
    assert brazilian.column("data_particao").to_pylist() == ["2024-02-29"]


def test_add_partition_columns_missing_column_lists_the_columns() -> None:
    table = pa.table({"id": [1], "data_inicio": ["2023-04-01"]})

    with pytest.raises(
        PartitionValueError,
        match=r"'data' is not in the data; its columns are \['id', 'data_inicio'\]",
    ):
        add_partition_columns(table, "data")


def test_add_partition_columns_non_date_type_raises() -> None:
    table = pa.table({"quando": [20230401]})

    with pytest.raises(
        PartitionValueError, match=r"'quando' has type int64; expected a date"
    ):
        add_partition_columns(table, "quando")


def test_add_partition_columns_recomputes_partition_columns_already_present() -> None:
    table = pa.table(
        {
            "quando": ["2023-04-01"],
            "ano_particao": [1999],
            "mes_particao": [1],
            "data_particao": ["1999-01-01"],
        }
    )

    result = add_partition_columns(table, "quando")

    assert result.column_names == [
        "quando",
        "ano_particao",
        "mes_particao",
        "data_particao",
    ]
    assert partitions_of(result) == [(2023, 4, "2023-04-01")]


def test_add_partition_columns_from_data_particao_itself() -> None:
    table = pa.table({"id": [1], "data_particao": [date(2023, 4, 1)]})

    result = add_partition_columns(table, "data_particao")

    assert result.column_names == [
        "id",
        "ano_particao",
        "mes_particao",
        "data_particao",
    ]
    assert partitions_of(result) == [(2023, 4, "2023-04-01")]
