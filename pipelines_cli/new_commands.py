"""`pipelines new orgao` and `pipelines new project`: the documented folders, wired in."""

from pathlib import Path

import typer

from pipelines_cli.checks.exceptions import RepositoryNotFoundError
from pipelines_cli.checks.repository import resolve_repository_root
from pipelines_cli.errors import CliError
from pipelines_cli.scaffold.create import ScaffoldResult, create_orgao, create_project
from pipelines_cli.scaffold.exceptions import ScaffoldError
from pipelines_cli.scaffold.names import OrgaoNames

new_app = typer.Typer(
    help="Create an orgao or a project with its six documented files, wired in.",
    no_args_is_help=True,
)

ROOT_OPTION_HELP = (
    "The repository to write to (default: the one holding the current folder)."
)


@new_app.command("orgao")
def new_orgao(
    slug: str = typer.Argument(..., help="The orgao's package name, e.g. rj_smtr."),
    sigla: str = typer.Option(
        ...,
        "--sigla",
        help="The orgao's acronym, first word of its flow names (e.g. SMTR).",
    ),
    root: Path | None = typer.Option(
        None, "--root", help=ROOT_OPTION_HELP, file_okay=False
    ),
) -> None:
    """Create pipelines/<slug>/, its agent label constants and its import."""
    repository = _repository(root)
    try:
        result = create_orgao(repository, slug, sigla)
    except ScaffoldError as exc:
        raise CliError(str(exc)) from exc
    _report(result)
    names = OrgaoNames(slug, sigla)
    typer.echo(
        f"Next: add a project with 'pipelines new project {slug} <projeto>', then run "
        f"'pipelines check'. Agents labelled {names.label!r} and {names.dev_label!r} "
        "must be running before its flows are scheduled."
    )


@new_app.command("project")
def new_project(
    orgao: str = typer.Argument(..., help="An existing orgao, e.g. rj_escritorio."),
    projeto: str = typer.Argument(
        ..., help="The project's folder name, e.g. geolocator."
    ),
    root: Path | None = typer.Option(
        None, "--root", help=ROOT_OPTION_HELP, file_okay=False
    ),
) -> None:
    """Create pipelines/<orgao>/<projeto>/ and import its flows from the orgao."""
    repository = _repository(root)
    try:
        result = create_project(repository, orgao, projeto)
    except ScaffoldError as exc:
        raise CliError(str(exc)) from exc
    _report(result)
    typer.echo(
        f"Next: write the flow in {result.created_folder}/flows.py (its docstring shows "
        "how), then run 'pipelines check'."
    )


def register(app: typer.Typer) -> None:
    """Adds the `new` group to the app."""
    app.add_typer(new_app, name="new")


def _repository(root: Path | None) -> Path:
    try:
        return resolve_repository_root(root, Path.cwd())
    except RepositoryNotFoundError as exc:
        raise CliError(str(exc)) from exc


def _report(result: ScaffoldResult) -> None:
    names = ", ".join(Path(path).name for path in result.created_files)
    typer.echo(f"Created {result.created_folder}/: {names}")
    for path in result.edited_files:
        typer.echo(f"Edited {path}")
