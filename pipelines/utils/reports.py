"""What a task reports about data it wrote, shown at the end of a local run."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DataReport:
    """Where a task left data and how much.

    Tasks that write to the datalake return one; `pipelines run` prints every report
    of the run in a table once the flow has finished.

    Attributes:
        step: what produced the data (`staging`, `materialization`, `summary`, ...).
        table: the table written, `<dataset_id>.<table_id>` as it is queried.
        location: where the data physically is (folder, file or URI).
        rows: number of rows, when known.
        details: further figures worth printing (partitions, mode, ...).
    """

    step: str
    table: str
    location: str
    rows: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
