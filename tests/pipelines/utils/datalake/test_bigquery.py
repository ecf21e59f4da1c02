"""The production backend, against a stand-in for `basedosdados`.

BigQuery and GCS cannot run on these machines. `FakeBasedosdados` stands in for the
three parts of `basedosdados` the backend calls (`Storage.upload` into a bucket,
`Table.create`, `read_sql`): the bucket is a local folder with GCS's blob names, and
`read_sql` counts rows of the Parquet files there. The backend's code path is the
production one; only the library under it is replaced.
"""

import sys
import types
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.utils.datalake.bigquery import BigQueryDatalake


class FakeBlob:
    def __init__(self, bucket: "FakeBucket", name: str) -> None:
        self.bucket, self.name = bucket, name

    def delete(self) -> None:
        (self.bucket.root / self.name).unlink()
        self.bucket.deleted.append(self.name)


class FakeBucket:
    def __init__(self, root: Path) -> None:
        self.root, self.deleted = root, []

    def list_blobs(self, prefix: str) -> list[FakeBlob]:
        return [
            FakeBlob(self, path.relative_to(self.root).as_posix())
            for path in sorted(self.root.rglob("*"))
            if path.is_file()
            and path.relative_to(self.root).as_posix().startswith(prefix)
        ]

    def blob(self, name: str) -> FakeBlob:
        return FakeBlob(self, name)


@pytest.fixture
def fake_bd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    bucket = FakeBucket(tmp_path / "bucket")
    calls = types.SimpleNamespace(bucket=bucket, created=[])

    class Storage:
        def __init__(self, dataset_id: str, table_id: str, bucket_name: str) -> None:
            self.prefix = f"staging/{dataset_id}/{table_id}"
            self.bucket = bucket

        def upload(self, path: str, mode: str, if_exists: str) -> None:
            assert (mode, if_exists) == ("staging", "replace")
            for file in Path(path).rglob("*.parquet"):
                target = bucket.root / self.prefix / file.relative_to(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(file.read_bytes())

    class Table:
        def __init__(self, dataset_id: str, table_id: str, bucket_name: str) -> None:
            self.name = f"{dataset_id}.{table_id}"

        def create(self, **kwargs: object) -> None:
            calls.created.append(
                (self.name, kwargs["source_format"], kwargs["if_table_exists"])
            )

    def read_sql(query: str, billing_project_id: str) -> pd.DataFrame:
        table = query.rsplit("`", 2)[1].split(".", 1)[1]
        dataset, table_id = table.replace("_staging", "", 1).split(".")
        files = (bucket.root / "staging" / dataset / table_id).rglob("*.parquet")
        return pd.DataFrame(
            {"n": [sum(pq.ParquetFile(f).metadata.num_rows for f in files)]}
        )

    module = types.SimpleNamespace(Storage=Storage, Table=Table, read_sql=read_sql)
    monkeypatch.setitem(sys.modules, "basedosdados", module)
    return calls


def day_rows(day: str, n: int) -> pa.Table:
    return pa.table({"id": list(range(n)), "dia": [day] * n})


def dump(lake: BigQueryDatalake, mode: str, *tables: pa.Table) -> int:
    with lake.staging_writer("ds", "tb", mode, partition_date_column="dia") as writer:
        for table in tables:
            writer.write(table)
    return writer.report.rows


def test_bigquery_publish_uploads_in_bucket_layout_and_creates_table_once(
    fake_bd,
) -> None:
    lake = BigQueryDatalake()
    assert dump(lake, "append", day_rows("2023-04-01", 3)) == 3
    assert dump(lake, "append", day_rows("2023-04-02", 2)) == 5
    names = [blob.name for blob in fake_bd.bucket.list_blobs("staging/ds/tb/")]
    assert {name.rsplit("/", 1)[0] for name in names} == {
        "staging/ds/tb/ano_particao=2023/mes_particao=4/data_particao=2023-04-01",
        "staging/ds/tb/ano_particao=2023/mes_particao=4/data_particao=2023-04-02",
    }
    assert fake_bd.created == [("ds.tb", "parquet", "pass")] * 2


def test_bigquery_append_replaces_only_the_partitions_written(fake_bd) -> None:
    lake = BigQueryDatalake()
    dump(lake, "append", day_rows("2023-04-01", 3), day_rows("2023-04-02", 2))
    assert dump(lake, "append", day_rows("2023-04-01", 4)) == 6
    assert all("data_particao=2023-04-01" in name for name in fake_bd.bucket.deleted)


def test_bigquery_overwrite_removes_everything_else_after_upload(fake_bd) -> None:
    lake = BigQueryDatalake()
    dump(lake, "append", day_rows("2023-04-01", 3), day_rows("2023-04-02", 2))
    assert dump(lake, "overwrite", day_rows("2023-05-01", 1)) == 1
    assert lake.last_partition_date("ds", "tb").isoformat() == "2023-05-01"


def test_bigquery_rerun_of_the_same_data_keeps_the_same_rows(fake_bd) -> None:
    lake = BigQueryDatalake()
    dump(lake, "append", day_rows("2023-04-01", 3))
    assert dump(lake, "append", day_rows("2023-04-01", 3)) == 3
    assert fake_bd.bucket.deleted == []


def test_bigquery_materialized_table_uses_dev_and_prod_projects() -> None:
    lake = BigQueryDatalake(dev_project="dev-p", prod_project="prod-p")
    assert lake.materialized_table("ds", "tb", "dev") == "`dev-p.ds.tb`"
    assert lake.materialized_table("ds", "tb", "prod") == "`prod-p.ds.tb`"
