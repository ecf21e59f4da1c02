"""One dump, start to end: describe the query, bound it, stream it into the datalake.

Each attempt opens a new connection and a new staging writer. A connection that
breaks, or a server that does not answer, is retried from that clean state; what
an attempt wrote is discarded with it, so no half partition is ever published.
Errors that another attempt cannot fix (login, query, types) fail at once.
"""

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from pipelines.utils.dump_db.parameters import LAST_PARTITION, DumpRequest
from pipelines.utils.dump_db.queries import (
    LowerBound,
    build_dump_statement,
    typed_lower_bound,
)
from pipelines.utils.dump_db.sources import ConnectionSettings, open_reader
from pipelines.utils.dump_db.types import SourceColumn
from pipelines.utils.exceptions import (
    DatabaseConnectionLostError,
    DatabaseQueryError,
    DatabaseUnreachableError,
    PartitionValueError,
)
from pipelines.utils.reports import DataReport

if TYPE_CHECKING:
    import pyarrow as pa

    from pipelines.utils.datalake import Datalake

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETRY_DELAY_SECONDS = 10.0
# Progress is logged at INFO every this many batches (DEBUG for each one).
PROGRESS_EVERY_BATCHES = 10

# Batches read ahead while the previous one is written: reading (driver, network,
# database) and writing (Parquet encoding, compression) overlap on two cores.
READ_AHEAD_BATCHES = 2

_RETRIABLE = (DatabaseConnectionLostError, DatabaseUnreachableError)

T = TypeVar("T")


def run_dump(  # pylint: disable=too-many-arguments  # options, keyword-only
    request: DumpRequest,
    username: str,
    password: str,
    *,
    logger: logging.Logger,
    datalake: "Datalake | None" = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    retry_delay_seconds: float = DEFAULT_RETRY_DELAY_SECONDS,
) -> DataReport:
    """Dumps `request.query` into `<dataset_id>_staging.<table_id>`.

    Args:
        request: the validated parameters.
        username: the database login, from Vault.
        password: its password, from Vault.
        logger: where progress goes (Prefect's context logger inside a task).
        datalake: the datalake to write to; `get_datalake()` by default.
        max_attempts: attempts when the connection breaks or the server does not
            answer; each starts from scratch.
        retry_delay_seconds: wait before the second attempt, doubled for each next one.

    Returns:
        What was published: table, location, rows now in the table, rows written.

    Raises:
        DatabaseConnectionLostError: the connection broke in every attempt.
        DatabaseUnreachableError: the server did not answer in any attempt.
        DatabaseLoginError: the login or database was refused.
        DatabaseQueryError: the database refused or failed the query.
        UnsupportedColumnTypeError, ColumnValueError: a column cannot be stored.
        PartitionValueError: the partition column is missing or has rows without
            a valid date (nothing is published then).
    """
    from pipelines.utils.datalake import get_datalake

    datalake = datalake or get_datalake()
    settings = ConnectionSettings(
        db_type=request.db_type,
        host=request.host,
        port=request.port,
        database=request.database,
        username=username,
        password=password,
        credentials_source=f"Vault secret {request.vault_secret_path!r}",
    )
    first_day = _first_partition_day(request, datalake, logger)
    for attempt in range(1, max_attempts + 1):
        try:
            return _dump_once(
                request, settings, datalake, first_day=first_day, logger=logger
            )
        except _RETRIABLE as exc:
            if attempt == max_attempts:
                raise type(exc)(
                    f"{exc} Gave up after {max_attempts} attempt(s); nothing was "
                    f"written to {request.dataset_id}_staging.{request.table_id}."
                ) from exc
            delay = retry_delay_seconds * 2 ** (attempt - 1)
            logger.warning(
                "Attempt %d of %d to dump %s.%s failed (%s); its files were discarded. "
                "Retrying from the start in %.0f s.",
                attempt,
                max_attempts,
                request.dataset_id,
                request.table_id,
                exc,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _first_partition_day(
    request: DumpRequest, datalake: "Datalake", logger: logging.Logger
) -> date | None:
    """The first partition date to dump, or None for every row."""
    if request.lower_bound != LAST_PARTITION:
        return request.lower_bound  # type: ignore[return-value]
    last = datalake.last_partition_date(request.dataset_id, request.table_id)
    if last is None:
        logger.info(
            "%s_staging.%s has no partition yet: dumping every row.",
            request.dataset_id,
            request.table_id,
        )
    else:
        logger.info(
            "%s_staging.%s ends at partition %s: dumping from that day on (the day is "
            "read again whole and replaced).",
            request.dataset_id,
            request.table_id,
            last.isoformat(),
        )
    return last


def _dump_once(
    request: DumpRequest,
    settings: ConnectionSettings,
    datalake: "Datalake",
    *,
    first_day: date | None,
    logger: logging.Logger,
) -> DataReport:
    started = time.monotonic()
    logger.info(
        "Dumping %s into %s_staging.%s (mode %r, batches of %d rows)",
        settings.description,
        request.dataset_id,
        request.table_id,
        request.dump_mode,
        request.batch_size,
    )
    with open_reader(settings) as reader:
        columns = reader.describe(request.query)
        _check_columns(columns, request, settings, logger=logger)
        bound = _lower_bound(columns, request, first_day)
        statement = build_dump_statement(
            request.query, columns, db_type=request.db_type, lower_bound=bound
        )
        stream = reader.read_batches(statement, columns, batch_size=request.batch_size)
        report, rows, batches = _write_batches(
            stream, request, datalake, logger=logger, started=started
        )

    return _finished(
        report,
        rows=rows,
        batches=batches,
        started=started,
        settings=settings,
        bound=bound,
        logger=logger,
    )


def _finished(  # pylint: disable=too-many-arguments  # the figures of one dump
    report: DataReport,
    *,
    rows: int,
    batches: int,
    started: float,
    settings: ConnectionSettings,
    bound: LowerBound | None,
    logger: logging.Logger,
) -> DataReport:
    """Logs the dump's figures and adds them to the datalake's report."""
    seconds = time.monotonic() - started
    logger.info(
        "Dumped %d rows in %d batches in %.1f s (%.0f rows/s) into %s (%s); the table "
        "now holds %s rows",
        rows,
        batches,
        seconds,
        rows / seconds if seconds else 0.0,
        report.table,
        report.location,
        report.rows,
    )
    details = {
        "source": settings.description,
        "read": rows,
        "seconds": round(seconds, 1),
    }
    if bound is not None:
        details["since"] = bound.day.isoformat()
    return replace(report, details={**report.details, **details})


def _write_batches(
    stream: Iterator["pa.RecordBatch"],
    request: DumpRequest,
    datalake: "Datalake",
    *,
    logger: logging.Logger,
    started: float,
) -> tuple[DataReport, int, int]:
    """Writes the batches as they are read; publishes them when the stream ends."""
    rows = batches = 0
    with datalake.staging_writer(
        request.dataset_id,
        request.table_id,
        request.dump_mode,
        partition_date_column=request.partition_column,
        partition_date_format=request.partition_date_format,
    ) as writer:
        for batch in read_ahead(stream, READ_AHEAD_BATCHES):
            writer.write(batch)
            rows, batches = rows + batch.num_rows, batches + 1
            _log_progress(logger, rows, batches, started=started)
    return writer.report, rows, batches


def _check_columns(
    columns: list[SourceColumn],
    request: DumpRequest,
    settings: ConnectionSettings,
    *,
    logger: logging.Logger,
) -> None:
    """Refuses results the datalake cannot take; warns about text fallbacks."""
    names = [column.name for column in columns]
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise DatabaseQueryError(
            f"The query returns column(s) {repeated!r} more than once; every column "
            "needs its own name. Give the repeated ones aliases in execute_query "
            "(e.g. 'a.id AS id_a, b.id AS id_b')."
        )
    if request.partition_column and request.partition_column not in names:
        raise PartitionValueError(
            f"partition_columns={request.partition_column!r} is not a column of the "
            f"query; its columns are {names!r}. Name one of them (the names are "
            f"case-sensitive as {settings.db_type} returns them)."
        )
    fallbacks = [f"{c.name!r} ({c.source_type})" for c in columns if c.is_text_fallback]
    if fallbacks:
        logger.warning(
            "Column(s) %s have no exact Arrow type and are stored as text. To keep "
            "them typed, cast them in execute_query (e.g. a numeric to numeric(18,2)).",
            ", ".join(fallbacks),
        )


def _lower_bound(
    columns: list[SourceColumn], request: DumpRequest, first_day: date | None
) -> LowerBound | None:
    if first_day is None or request.partition_column is None:
        return None
    column = next(c for c in columns if c.name == request.partition_column)
    return typed_lower_bound(
        column,
        first_day,
        db_type=request.db_type,
        date_format=request.partition_date_format,
    )


def _log_progress(
    logger: logging.Logger, rows: int, batches: int, *, started: float
) -> None:
    seconds = time.monotonic() - started
    logger.debug("Batch %d written; %d rows so far", batches, rows)
    if batches % PROGRESS_EVERY_BATCHES == 0:
        logger.info(
            "Read %d rows in %d batches so far (%.0f rows/s)",
            rows,
            batches,
            rows / seconds if seconds else 0.0,
        )


def read_ahead(items: Iterator[T], depth: int) -> Iterator[T]:
    """Yields `items`, produced by a background thread up to `depth` items ahead.

    An error in the producer is raised here, in the consumer. When the consumer
    stops early (an error while writing, or `close()`), the producer is told to stop
    and joined before this generator returns, so the connection it reads from is
    never closed under it.

    Args:
        items: an iterator that may block (a database cursor).
        depth: how many items may wait in the queue.
    """
    if depth < 1:
        raise ValueError(
            f"depth={depth!r}; expected 1 or more (0 would not bound memory)."
        )
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(end)
        except BaseException as exc:  # pylint: disable=broad-except  # re-raised below
            offer(_Failure(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    producer = threading.Thread(target=produce, name="dump_db-reader", daemon=True)
    producer.start()
    try:
        while True:
            item = ready.get()
            if item is end:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        producer.join()


class _Failure:
    """An exception raised by the producer thread, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
