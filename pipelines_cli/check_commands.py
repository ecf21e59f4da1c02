"""`pipelines check`: every convention of the repository, one line per problem."""

from pathlib import Path

import typer

from pipelines_cli.checks.exceptions import CheckRunError, RepositoryNotFoundError
from pipelines_cli.checks.repository import resolve_repository_root
from pipelines_cli.checks.runner import run_checks
from pipelines_cli.errors import CliError


def check(
    paths: list[Path] | None = typer.Argument(
        None,
        help="Report only problems in these files or folders (default: everything).",
        show_default=False,
    ),
    root: Path | None = typer.Option(
        None,
        "--root",
        help="The repository to check (default: the one holding the current folder).",
        file_okay=False,
    ),
) -> None:
    """Check flow names, owners, labels, schedules and layout; exit 1 on any problem.

    Each problem is one line, `file:line: [rule] what is wrong and how to fix it`;
    the README explains each rule with a bad and a good example.
    """
    cwd = Path.cwd()
    named = [path if path.is_absolute() else cwd / path for path in paths or []]
    try:
        repository = resolve_repository_root(root, cwd, named)
    except RepositoryNotFoundError as exc:
        raise CliError(str(exc)) from exc
    prefixes = [_relative_prefix(path, repository) for path in named]

    try:
        report = run_checks(repository)
    except CheckRunError as exc:
        raise CliError(str(exc)) from exc

    shown = [
        problem
        for problem in report.problems
        if not prefixes or problem.is_under(prefixes)
    ]
    for problem in shown:
        typer.echo(problem.format())
    if shown:
        raise CliError(
            f"{len(shown)} convention problem(s) in {repository}; each line above gives "
            "the file, the rule (explained in the README) and the fix."
        )
    flows = len(report.facts.flows)
    orgaos = len(report.facts.orgaos)
    typer.echo(f"OK: {flows} flow(s) in {orgaos} orgao(s) follow the conventions.")


def register(app: typer.Typer) -> None:
    """Adds `check` to the app."""
    app.command("check")(check)


def _relative_prefix(path: Path, repository: Path) -> str:
    if not path.exists():
        raise CliError(
            f"Path {str(path)!r} does not exist; name files or folders to report on."
        )
    try:
        return path.resolve().relative_to(repository).as_posix()
    except ValueError as exc:
        raise CliError(
            f"Path {str(path)!r} is outside the repository {str(repository)!r}; name "
            "paths inside it, or pass --root for another copy."
        ) from exc
