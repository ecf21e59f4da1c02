"""Example repositories for `pipelines check`: copies of this one plus example projects.

Each copy holds this repository's `pipelines/` and `pipelines_cli/`, so the checks
run on it exactly as on the real one (a child process imports the copy's flows),
plus projects written by the tests, each breaking one convention or following them
all. Imported by the tests as `tests.pipelines_cli.checks.examples`.
"""

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from pipelines_cli.app import app

REPO_ROOT = Path(__file__).resolve().parents[3]

# The default text of each of the six files of an example project.
DEFAULT_FILES = {
    "__init__.py": '"""Example project."""\n',
    "constants.py": '"""Example constants."""\n',
    "flows.py": '"""Example flows (none)."""\n',
    "schedules.py": '"""Example schedules (none)."""\n',
    "tasks.py": '"""Example tasks (none)."""\n',
    "utils.py": '"""Example helpers (none)."""\n',
}


@dataclass
class CheckRun:
    """The outcome of `pipelines check` on an example repository."""

    root: Path
    exit_code: int
    lines: list[str]
    stderr: str

    def problems(self, rule: str) -> list[str]:
        """The problem lines of one rule."""
        return [line for line in self.lines if f": [{rule}] " in line]

    def problems_in(self, rule: str, path: str) -> list[str]:
        """The problem lines of one rule located in `path` (any line)."""
        return [line for line in self.problems(rule) if line.startswith(f"{path}:")]


def copy_repository(destination: Path) -> Path:
    """Copies what the checks need of this repository into `destination`."""
    destination.mkdir(parents=True, exist_ok=True)
    for folder in ("pipelines", "pipelines_cli"):
        shutil.copytree(
            REPO_ROOT / folder,
            destination / folder,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    shutil.copy2(REPO_ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def write_project(
    root: Path,
    projeto: str,
    files: dict[str, str],
    *,
    orgao: str = "rj_escritorio",
    is_wired: bool = True,
    omit: tuple[str, ...] = (),
) -> Path:
    """Writes an example project: the six files (overridden by `files`), imported by
    the orgao's `__init__.py` unless `is_wired` is False."""
    folder = root / "pipelines" / orgao / projeto
    folder.mkdir(parents=True)
    for name, default in DEFAULT_FILES.items():
        if name not in omit:
            text = files.get(name, default)
            (folder / name).write_text(
                textwrap.dedent(text).lstrip("\n"), encoding="utf-8"
            )
    if is_wired:
        init = root / "pipelines" / orgao / "__init__.py"
        line = f"from pipelines.{orgao}.{projeto}.flows import *  # noqa: F401,F403\n"
        init.write_text(init.read_text(encoding="utf-8") + line, encoding="utf-8")
    return folder


def write_orgao(
    root: Path, orgao: str, constants: str, *, is_wired: bool = True
) -> Path:
    """Writes an example orgao with its six files and the given `constants.py`."""
    folder = root / "pipelines" / orgao
    folder.mkdir()
    for name, default in DEFAULT_FILES.items():
        text = constants if name == "constants.py" else default
        (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    if is_wired:
        init = root / "pipelines" / "__init__.py"
        line = f"from pipelines import {orgao}  # noqa: F401\n"
        init.write_text(init.read_text(encoding="utf-8") + line, encoding="utf-8")
    return folder


def line_of(path: Path, needle: str) -> int:
    """The number of the first line of `path` that contains `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in {path}")


def run_check(root: Path, *paths: str) -> CheckRun:
    """Runs `pipelines check --root ROOT [PATH ...]` through the CLI's test runner."""
    result = CliRunner().invoke(app, ["check", "--root", str(root), *paths])
    return CheckRun(root, result.exit_code, result.stdout.splitlines(), result.stderr)
