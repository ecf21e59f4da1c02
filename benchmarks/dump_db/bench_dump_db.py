"""Benchmark: dump_db against psql's COPY and the older repo's pandas batches.

Builds (once, kept between runs) a PostgreSQL table of mixed types, then dumps it,
each way in its own subprocess, and reports wall time, rows/s and the subprocess's
peak RSS (`os.wait4`, which returns that child's own resource usage):

- `copy`: `psql -c "COPY (query) TO STDOUT WITH CSV"` into a file: the reference.
- `dump_db`: the `dump_sql_to_datalake` task as a flow runs it (credentials from a
  throw-away OpenBao dev server, Parquet files in a throw-away local datalake).
- `pandas`: a named (server-side) cursor, `fetchmany(50_000)` into a pandas data
  frame, `astype(str)`, appended to a CSV file: the office's older repo's way.

Each Python child reports also its own time from connecting to the end of the
write, without interpreter start-up and imports. Before measuring, one child imports
everything once with `PYTHONPYCACHEPREFIX` pointing into the benchmark's scratch
folder, so bytecode is compiled once, as in the production image (this repo's
shells set `PYTHONDONTWRITEBYTECODE=1`, which would recompile every module at each
start).

Run on demand, not in CI: `.venv/bin/python benchmarks/dump_db/bench_dump_db.py`
(`--help` for options). Results go to stdout as a Markdown table.
"""

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("bench_dump_db")

SCHEMA = "bench_dump_db"
PANDAS_BATCH_SIZE = 50_000
SECRET_PATH = "bench/postgresql"  # pragma: allowlist secret  # a path, not a value

# Eight columns of mixed types; one integer column holds NULLs.
CREATE_TABLE = """
CREATE UNLOGGED TABLE {table} AS
SELECT
    g::bigint AS id_chamado,
    CASE WHEN g % 10 = 0 THEN NULL ELSE (g % 164) + 1 END::integer AS id_bairro,
    round((g % 100000) / 7.0, 2)::numeric(12, 2) AS valor,
    'Chamado nº ' || g || ' — iluminação pública, Praça São Salvador' AS descricao,
    date '2020-01-01' + (g % 1461) AS data_abertura,
    timestamptz '2020-01-01 00:00:00-03' + g * interval '17 seconds' AS aberto_em,
    timestamp '2020-01-01 00:00:00' + g * interval '13 seconds' AS atualizado_em,
    g % 3 = 0 AS resolvido
FROM generate_series(1, {rows}) AS g
"""
QUERY = "SELECT * FROM {table}"
WARM_UP_IMPORTS = (
    "import pipelines.utils.dump_db.tasks, pipelines.utils.dump_db.dump, "
    "pipelines.utils.datalake.local, pyarrow.parquet, adbc_driver_postgresql, duckdb, "
    "sqlalchemy.dialects.postgresql.psycopg, hvac, pandas, psycopg"
)


@dataclass(frozen=True)
class Run:
    """One approach on one table."""

    approach: str
    table: str
    rows: int


@dataclass
class Measure:
    """One approach's run."""

    approach: str
    rows: int
    seconds: float
    max_rss_mb: float
    output_mb: float
    inner_seconds: float | None = None

    @property
    def rows_per_second(self) -> float:
        """Rows over the whole process's wall time."""
        return self.rows / self.seconds


def main() -> None:
    """Parses the options and runs the benchmark, or one approach as a child."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--rows", type=int, default=5_000_000, help="rows of the main table"
    )
    parser.add_argument(
        "--flat-rows",
        type=int,
        default=1_000_000,
        help="a smaller table dumped by dump_db, to show its peak RSS does not grow",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--database", default="test")
    parser.add_argument("--user", default="postgres")
    parser.add_argument(
        "--batch-size", type=int, default=100_000, help="dump_db batch_size"
    )
    parser.add_argument(
        "--drop", action="store_true", help="drop the benchmark schema and exit"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--table", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    if options.child:
        run_child(options)
    elif options.drop:
        psql(options, f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        logger.info("Dropped schema %s", SCHEMA)
    else:
        run_benchmark(options)


def run_benchmark(options: argparse.Namespace) -> None:
    """Builds the tables, runs every approach in a subprocess, prints the results."""
    from pipelines_cli.vault_commands import (
        load_secrets,
        start_dev_vault,
    )

    main_table = ensure_table(options, options.rows)
    flat_table = ensure_table(options, options.flat_rows)
    workdir = Path(tempfile.mkdtemp(prefix="bench-dump-db-"))
    vault = start_dev_vault(port=0)
    try:
        load_secrets(
            vault.client(), {SECRET_PATH: {"username": options.user, "password": ""}}
        )
        environment = {
            **os.environ,
            "VAULT_ADDRESS": vault.address,
            "VAULT_TOKEN": vault.token,
            "PIPELINES_DATALAKE_BACKEND": "local",
            "PYTHONPYCACHEPREFIX": str(workdir / "pycache"),
        }
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(
            [sys.executable, "-c", WARM_UP_IMPORTS], env=environment, check=True
        )
        runs = [
            Run("copy", main_table, options.rows),
            Run("dump_db", main_table, options.rows),
            Run("pandas", main_table, options.rows),
            Run("dump_db", flat_table, options.flat_rows),
        ]
        measures = []
        for run in runs:
            output = workdir / f"{run.approach}-{run.rows}"
            measures.append(measure(options, run, output, environment=environment))
            shutil.rmtree(output, ignore_errors=True)
            output.with_suffix(".csv").unlink(missing_ok=True)
    finally:
        vault.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(render(measures, options))


def ensure_table(options: argparse.Namespace, rows: int) -> str:
    """Creates `bench_dump_db.chamados_<rows>` unless it exists with its rows."""
    table = f"{SCHEMA}.chamados_{rows}"
    exists = psql(options, f"SELECT to_regclass('{table}') IS NOT NULL", capture=True)
    if exists.strip() == "t":
        return table
    logger.info("Creating %s with %d rows (once; kept for later runs)", table, rows)
    psql(options, f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    psql(options, CREATE_TABLE.format(table=table, rows=rows))
    psql(options, f"VACUUM ANALYZE {table}")
    return table


def psql(options: argparse.Namespace, sql: str, *, capture: bool = False) -> str:
    """Runs one statement with psql; returns its unaligned output when captured."""
    result = subprocess.run(
        [*psql_command(options), "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=capture,
        text=True,
    )
    return result.stdout or ""


def psql_command(options: argparse.Namespace) -> list[str]:
    """psql's connection arguments."""
    return [
        "psql",
        "-h",
        options.host,
        "-p",
        str(options.port),
        "-U",
        options.user,
        "-d",
        options.database,
        "-X",
    ]


def command_of(options: argparse.Namespace, run: Run, output: Path) -> list[str]:
    """The command line of one approach."""
    if run.approach == "copy":
        query = QUERY.format(table=run.table)
        return [*psql_command(options), "-c", f"COPY ({query}) TO STDOUT WITH CSV"]
    return [
        sys.executable,
        __file__,
        f"--child={run.approach}",
        f"--table={run.table}",
        f"--output={output}",
        f"--batch-size={options.batch_size}",
        f"--host={options.host}",
        f"--port={options.port}",
        f"--database={options.database}",
        f"--user={options.user}",
    ]


def measure(
    options: argparse.Namespace, run: Run, output: Path, *, environment: dict[str, str]
) -> Measure:
    """Runs one approach in a subprocess; its wall time and its own peak RSS."""
    approach, rows = run.approach, run.rows
    logger.info("Running %s on %s", approach, run.table)
    sink_path = output.with_suffix(".csv") if approach == "copy" else os.devnull
    started = time.monotonic()
    with (
        open(sink_path, "wb") as sink,
        subprocess.Popen(
            command_of(options, run, output), stdout=sink, env=environment
        ) as process,
    ):
        # NOTE: wait4 gives this child's own peak RSS, where getrusage(RUSAGE_CHILDREN)
        # would give the largest of every child waited for so far.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit(f"{approach} failed with exit code {process.returncode}")
    result = Measure(
        approach,
        rows,
        seconds,
        usage.ru_maxrss / 1024,
        output_megabytes(run, output),
        read_inner_seconds(output),
    )
    logger.info(
        "%s: %d rows in %.1f s (%.0f rows/s), peak RSS %.0f MB, output %.0f MB",
        approach,
        rows,
        seconds,
        result.rows_per_second,
        result.max_rss_mb,
        result.output_mb,
    )
    return result


def output_megabytes(run: Run, output: Path) -> float:
    """Size of what an approach wrote: Parquet files or one CSV file."""
    written = output if run.approach == "dump_db" else output.with_suffix(".csv")
    files = written.rglob("*.parquet") if written.is_dir() else [written]
    return sum(path.stat().st_size for path in files) / 1024**2


def read_inner_seconds(output: Path) -> float | None:
    """The duration a Python child measured itself, if it wrote one."""
    timing = output.with_suffix(".json")
    if not timing.exists():
        return None
    seconds = json.loads(timing.read_text(encoding="utf-8"))["seconds"]
    timing.unlink()
    return seconds


def run_child(options: argparse.Namespace) -> None:
    """The body of one approach, in its own process; writes its own duration."""
    started = time.monotonic()
    if options.child == "dump_db":
        os.environ["PIPELINES_DATALAKE_ROOT"] = options.output
        from pipelines.utils.dump_db.tasks import dump_sql_to_datalake

        started = time.monotonic()
        dump_sql_to_datalake.run(
            db_type="postgresql",
            db_host=options.host,
            db_port=options.port,
            db_database=options.database,
            vault_secret_path=SECRET_PATH,
            execute_query=QUERY.format(table=options.table),
            dataset_id="bench_dump_db",
            table_id="chamados",
            dump_mode="overwrite",
            batch_size=options.batch_size,
        )
    elif options.child == "pandas":
        import pandas  # noqa: F401  # pylint: disable=unused-import

        started = time.monotonic()
        run_pandas_batches(options)
    else:
        raise SystemExit(f"Unknown approach {options.child!r}")
    seconds = time.monotonic() - started
    timing = Path(options.output).with_suffix(".json")
    timing.write_text(json.dumps({"seconds": seconds}), encoding="utf-8")


def run_pandas_batches(options: argparse.Namespace) -> None:
    """The older repo's way: fetchmany batches into data frames, written as CSV."""

    import pandas as pd
    import psycopg

    path = Path(options.output).with_suffix(".csv")
    with psycopg.connect(
        host=options.host, port=options.port, dbname=options.database, user=options.user
    ) as connection:
        with connection.cursor(name="bench_dump_db") as cursor:
            cursor.execute(QUERY.format(table=options.table))
            first = True
            while rows := cursor.fetchmany(PANDAS_BATCH_SIZE):
                columns = [column.name for column in cursor.description]
                frame = pd.DataFrame(rows, columns=columns).astype(str)
                frame.to_csv(
                    path, mode="w" if first else "a", header=first, index=False
                )
                first = False


def render(measures: list[Measure], options: argparse.Namespace) -> str:
    """The results as a Markdown table, with the ratios the targets name."""
    lines = [
        "| approach | rows | whole process | rows/s | in-process | peak RSS | output |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measures:
        inner = f"{m.inner_seconds:.1f} s" if m.inner_seconds is not None else "-"
        lines.append(
            f"| {m.approach} | {m.rows:,} | {m.seconds:.1f} s | {m.rows_per_second:,.0f} | "
            f"{inner} | {m.max_rss_mb:.0f} MB | {m.output_mb:.0f} MB |"
        )
    by_key = {(m.approach, m.rows): m for m in measures}
    copy, ours, pandas = (
        by_key[(a, options.rows)] for a in ("copy", "dump_db", "pandas")
    )
    flat = by_key[("dump_db", options.flat_rows)]
    versus_copy = ours.rows_per_second / copy.rows_per_second
    versus_pandas = ours.rows_per_second / pandas.rows_per_second
    lines += [
        "",
        f"- dump_db / COPY rows/s: {versus_copy:.0%} (target >= 70%)",
        f"- dump_db / pandas rows/s: {versus_pandas:.1f}x (target >= 3x)",
        f"- dump_db peak RSS: {flat.max_rss_mb:.0f} MB at {options.flat_rows:,} rows, "
        f"{ours.max_rss_mb:.0f} MB at {options.rows:,} rows (target < 400 MB, flat)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
