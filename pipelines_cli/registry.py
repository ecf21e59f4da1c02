"""Loading the flow registry for a command, with import errors told in one line."""

import traceback

from pipelines_cli.errors import CliError


def load_registry(strict: bool = True):
    """Imports every orgao and returns `pipelines.flows.FlowRegistry`.

    Raises:
        CliError: an orgao fails to import (file and line of the error), or the set
            of flows is ambiguous (duplicate names, unreachable flows).
    """
    try:
        from pipelines.flows import (  # pylint: disable=import-outside-toplevel
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
    """One line for an error raised while importing user code: file, line, error."""
    if isinstance(exc, SyntaxError):
        return f"{exc.filename}:{exc.lineno}: {type(exc).__name__}: {exc.msg}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/pipelines/" in f.filename]
    where = f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else ""
    return f"{where}importing the flows failed: {type(exc).__name__}: {exc}"
