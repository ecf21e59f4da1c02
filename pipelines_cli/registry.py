"""Loading the flow registry for a command, with import errors told in one line."""

from pathlib import Path

from pipelines_cli.errors import CliError


def load_registry(strict: bool = True):
    """Imports every orgao and returns `pipelines.flows.FlowRegistry`.

    Raises:
        CliError: an orgao fails to import (file and line of the error), or the set
            of flows is ambiguous (duplicate names, unreachable flows).
    """
    try:
        from pipelines.flows import (
            FlowRegistryError,
            discover_flows,
        )
    except Exception as exc:  # any error in user code while importing the flows
        raise CliError(describe_import_error(exc)) from exc
    try:
        return discover_flows(strict=strict)
    except FlowRegistryError as exc:
        raise CliError(str(exc)) from exc
    except Exception as exc:
        raise CliError(describe_import_error(exc)) from exc


def describe_import_error(exc: BaseException) -> str:
    """One line for an error raised while importing user code: file, line, error.

    The line is the orgao's own (its ``with Flow(`` when code owners are missing),
    not the framework frame that raised; see `pipelines_cli.checks.import_errors`.
    """
    # NOTE: imported here, as the checks are only needed when something failed.
    from pipelines_cli.checks.import_errors import (
        describe_import_failure,
        format_import_failure,
    )
    from pipelines_cli.checks.repository import installed_repository_root

    root = installed_repository_root() or Path.cwd()
    return format_import_failure(describe_import_failure(exc, root))
