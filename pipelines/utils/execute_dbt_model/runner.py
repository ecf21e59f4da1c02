"""Running dbt in-process on the project in `queries/` and reading back what it built."""

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from pipelines.utils.datalake.base import validate_materialization_mode
from pipelines.utils.exceptions import InvalidParameterError, MaterializationError

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
PROJECT_DIR_ENV_VAR = "PIPELINES_DBT_PROJECT_DIR"
DBT_COMMANDS = ("build", "run")


def dbt_project_dir() -> Path:
    """The dbt project: `PIPELINES_DBT_PROJECT_DIR`, else `queries/` in the repository."""
    return Path(
        os.environ.get(PROJECT_DIR_ENV_VAR, REPOSITORY_ROOT / "queries")
    ).resolve()


def default_selector(dataset_id: str, table_id: str) -> str:
    """Selects a model and everything upstream of it."""
    return f"+path:models/{dataset_id}/{table_id}.sql"


def run_dbt(
    selector: str,
    *,
    backend: str,
    materialization_mode: str,
    command: str = "build",
    environment: dict[str, str] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[str]:
    """Runs `dbt <command> --select <selector>` in this process.

    Args:
        selector: dbt node selection.
        backend: the datalake backend (`local`, `bigquery`); with the mode it names
            the profile target, e.g. `local-dev`.
        materialization_mode: `dev` or `prod`.
        command: `build` or `run`.
        environment: variables the profile reads (e.g. `PIPELINES_DUCKDB_PATH`).
        log: receives dbt's informative log lines.

    Returns:
        `schema.name` of every model and seed built.

    Raises:
        InvalidParameterError: unknown mode or command.
        MaterializationError: dbt failed; the message names the failing nodes.
    """
    validate_materialization_mode(materialization_mode)
    if command not in DBT_COMMANDS:
        raise InvalidParameterError(
            f"dbt_command={command!r} is not supported; expected one of {DBT_COMMANDS!r}."
        )
    target = f"{backend}-{materialization_mode}"
    with tempfile.TemporaryDirectory(prefix="dbt-") as scratch:
        args = [
            command,
            "--select", selector,
            "--project-dir", str(dbt_project_dir()),
            "--profiles-dir", str(dbt_project_dir()),
            "--target", target,
            "--target-path", str(Path(scratch) / "target"),
            "--log-path", str(Path(scratch) / "logs"),
            "--no-send-anonymous-usage-stats",
            "--no-partial-parse",
            "--quiet",
            "--no-use-colors",
        ]  # fmt: skip
        result = _invoke_dbt(args, environment or {}, log)

    description = f"dbt {command} --select {selector!r} (target {target})"
    if result.exception is not None:
        raise MaterializationError(
            f"{description} could not run: {result.exception}"
        ) from result.exception
    nodes = list(getattr(result.result, "results", None) or [])
    failed = [node for node in nodes if str(node.status) in ("error", "fail")]
    if failed or not result.success:
        details = "; ".join(f"{node.node.unique_id}: {node.message}" for node in failed)
        raise MaterializationError(
            f"{description} failed: {details or 'see the dbt log lines above'}."
        )
    if not nodes:
        raise MaterializationError(
            f"dbt selector {selector!r} matched no model in {dbt_project_dir()}; check "
            "dataset_id and table_id, or pass dbt_select."
        )
    return [
        f"{node.node.schema}.{node.node.alias or node.node.name}"
        for node in nodes
        if node.node.resource_type in ("model", "seed")
    ]


def _invoke_dbt(
    args: list[str],
    environment: dict[str, str],
    log: Callable[[str], None] | None,
) -> "dbtRunnerResult":
    """Invokes dbt with extra environment variables, leaving the process as it was."""
    # NOTE: importing and running dbt add handlers to the root logger; without
    # restoring them every Prefect log line is printed twice from then on.
    root_handlers = list(logging.getLogger().handlers)
    from dbt.cli.main import dbtRunner

    callbacks = [_forward_logs(log, root_handlers)] if log else []
    previous = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        return dbtRunner(callbacks=callbacks).invoke(args)
    finally:
        logging.getLogger().handlers[:] = root_handlers
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _forward_logs(
    log: Callable[[str], None], root_handlers: list[logging.Handler]
) -> Callable[[object], None]:
    def forward(event: object) -> None:
        info = getattr(event, "info", None)
        if info is not None and info.level in ("info", "warn", "error") and info.msg:
            # dbt attaches its own root handlers while it runs; drop them so the
            # forwarded line is printed once, by Prefect's handler.
            logging.getLogger().handlers[:] = root_handlers
            log(str(info.msg))

    return forward
