"""Errors raised while importing flows, told as one line placed in the user's code.

An exception raised by framework code (say, `Flow(...)` refusing a flow without code
owners) has its last frame in `pipelines/utils/`; the line to fix is the orgao's
``with Flow(`` that called it. So the frame chosen is the innermost one in an orgao's
folder, then the innermost one in `pipelines/`, then the innermost one at all.
"""

import traceback
from pathlib import Path

from pipelines_cli.checks.facts import ImportFailure

# Exceptions of `pipelines.utils.exceptions` that `Flow(...)` raises about owners.
OWNER_ERRORS = frozenset({"MissingOwnersError", "UnknownOwnerError"})


def describe_import_failure(exc: BaseException, root: Path) -> ImportFailure:
    """Places an import error in the repository's code and words it as one line.

    Args:
        exc: the exception raised while importing `pipelines`.
        root: the repository root; paths are given relative to it.

    Returns:
        The file, line, rule ("owners" for code owner errors, else "import") and a
        one-line message.
    """
    path, line = _locate(exc, root)
    text = " ".join(str(exc).split())
    if isinstance(exc, SyntaxError):
        text = " ".join(str(exc.msg).split())
    if type(exc).__name__ in OWNER_ERRORS:
        return ImportFailure(path, line, "owners", text)
    message = f"importing the flows failed: {type(exc).__name__}: {text}"
    return ImportFailure(path, line, "import", message)


def format_import_failure(failure: ImportFailure) -> str:
    """The failure as `path:line: message`."""
    where = f"{failure.path}:{failure.line}" if failure.line else failure.path
    return f"{where}: {failure.message}"


def _locate(exc: BaseException, root: Path) -> tuple[str, int | None]:
    if isinstance(exc, SyntaxError) and exc.filename:
        return _relative(Path(exc.filename), root), exc.lineno
    frames = traceback.extract_tb(exc.__traceback__)
    package_dir = (root / "pipelines").resolve()
    utils_dir = package_dir / "utils"

    def is_in(frame: traceback.FrameSummary, folder: Path) -> bool:
        return Path(frame.filename).resolve().is_relative_to(folder)

    def is_in_orgao(frame: traceback.FrameSummary) -> bool:
        path = Path(frame.filename).resolve()
        return (
            path.parent != package_dir
            and is_in(frame, package_dir)
            and not is_in(frame, utils_dir)
        )

    orgao_frames = [frame for frame in frames if is_in_orgao(frame)]
    package_frames = [frame for frame in frames if is_in(frame, package_dir)]
    for candidates in (orgao_frames, package_frames, frames):
        if candidates:
            frame = candidates[-1]
            return _relative(Path(frame.filename), root), frame.lineno
    return "pipelines/__init__.py", None


def _relative(path: Path, root: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
