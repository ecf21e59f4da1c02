"""The datalake flows write to: local Parquet + DuckDB by default, GCS + BigQuery in production.

`get_datalake()` picks the backend from `PIPELINES_DATALAKE_BACKEND`; both expose the
same `Datalake` interface, so a flow runs unchanged on a laptop and in production.
"""

from pipelines.utils.datalake.base import Datalake, StagingWriter
from pipelines.utils.datalake.config import get_datalake

__all__ = ["Datalake", "StagingWriter", "get_datalake"]
