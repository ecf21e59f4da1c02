"""Finding the repository a command works on: the one holding the current folder.

A command run inside a clone (or a copy) of the repository works on that copy, not on
the one the `pipelines` package was installed from; outside any clone it falls back
to the installed one.
"""

import importlib.util
from pathlib import Path

from pipelines_cli.checks.exceptions import RepositoryNotFoundError


def is_repository_root(folder: Path) -> bool:
    """Whether `folder` is a root of this repository: `pipelines/` and `pyproject.toml`."""
    return (folder / "pipelines" / "__init__.py").is_file() and (
        folder / "pyproject.toml"
    ).is_file()


def find_repository_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` that is a repository root."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if is_repository_root(folder):
            return folder
    return None


def installed_repository_root() -> Path | None:
    """The repository the `pipelines` package is imported from (without importing it)."""
    spec = importlib.util.find_spec("pipelines")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).resolve().parent.parent
    return folder if is_repository_root(folder) else None


def resolve_repository_root(
    explicit: Path | None, cwd: Path, paths: list[Path] = ()
) -> Path:
    """The repository a command works on.

    Args:
        explicit: the `--root` option, if given; it must be a repository root.
        cwd: the current folder.
        paths: paths named on the command line; the repository holding the first
            one wins over the current folder.

    Returns:
        The repository root, resolved.

    Raises:
        RepositoryNotFoundError: `--root` is not a repository root, or no
            repository holds the current folder and none is installed.
    """
    if explicit is not None:
        if not is_repository_root(explicit):
            raise RepositoryNotFoundError(
                f"--root {str(explicit)!r} is not a root of the pipelines repository "
                "(no pipelines/__init__.py and pyproject.toml there); pass the folder "
                "that holds pipelines/."
            )
        return explicit.resolve()
    for start in [*paths[:1], cwd]:
        found = find_repository_root(start if start.is_dir() else start.parent)
        if found is not None:
            return found
    installed = installed_repository_root()
    if installed is None:
        raise RepositoryNotFoundError(
            f"No pipelines repository holds {str(cwd)!r} and none is installed; run the "
            "command inside a clone, or pass --root."
        )
    return installed
