"""Creating an orgao or a project: validate, render, move into place, wire it in.

Every name is checked before anything is written. The files are rendered into a
temporary folder next to their destination and moved in as a whole; the edits that
wire them in (the orgao's `__init__.py`, `pipelines/__init__.py`,
`pipelines/constants.py`) are undone if any later step fails.
"""

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines_cli.checks.sources import (
    imported_orgaos,
    list_orgao_folders,
    read_constant,
)
from pipelines_cli.scaffold.edits import (
    Changes,
    insert_class_members,
    insert_import_line,
)
from pipelines_cli.scaffold.exceptions import (
    InvalidNameError,
    MissingOrgaoError,
    NameTakenError,
    ScaffoldWriteError,
)
from pipelines_cli.scaffold.names import (
    OrgaoNames,
    validate_orgao_slug,
    validate_project_slug,
    validate_sigla,
)
from pipelines_cli.scaffold.render import render_template

logger = logging.getLogger(__name__)

# The longest line the linters accept (`.pylintrc`); generated lines stay within it.
MAX_LINE_LENGTH = 100

PACKAGE_INIT_DOCSTRING = (
    "The office's flows: importing this package imports every orgao, so every flow "
    "is importable."
)


@dataclass
class ScaffoldResult:
    """What `pipelines new` created and changed, relative to the repository root."""

    created_folder: str
    created_files: list[str]
    edited_files: list[str] = field(default_factory=list)


def create_orgao(root: Path, slug: str, sigla: str) -> ScaffoldResult:
    """Creates `pipelines/<slug>/` with its six files and wires it into the repository.

    Adds the orgao's agent label constants to `pipelines/constants.py` and its
    import to `pipelines/__init__.py`.

    Args:
        root: the repository root.
        slug: the orgao's package name, `rj_<nome>`.
        sigla: its acronym, the first word of its flow names.

    Returns:
        The folder and files created and the files edited.

    Raises:
        InvalidNameError: the slug or SIGLA breaks the naming rules.
        NameTakenError: the orgao, the SIGLA or a label constant already exists.
        ScaffoldWriteError: writing failed; every change was undone.
    """
    names = OrgaoNames(validate_orgao_slug(slug), validate_sigla(sigla))
    pipelines_dir = root / "pipelines"
    target = pipelines_dir / names.slug
    _refuse_taken_orgao(pipelines_dir, names)
    constants_path = pipelines_dir / "constants.py"
    new_constants = _missing_label_constants(constants_path, names)
    answers = {
        "orgao": names.slug,
        "sigla": names.sigla,
        "dev_label_constant": names.dev_label_constant,
    }

    with Changes() as changes:
        files = _render_into_place(changes, "orgao", target, answers)
        if new_constants:
            text = constants_path.read_text(encoding="utf-8")
            changes.write_text(
                constants_path,
                insert_class_members(text, "constants", "_AGENT_LABEL", new_constants),
            )
        init_path = pipelines_dir / "__init__.py"
        changes.write_text(
            init_path,
            insert_import_line(
                init_path.read_text(encoding="utf-8"),
                f"from pipelines import {names.slug}  # noqa: F401",
                "from pipelines import ",
                PACKAGE_INIT_DOCSTRING,
            ),
        )
        _verify_orgao(root, names)
        edited = changes.edited_files
    return ScaffoldResult(
        created_folder=_relative(target, root),
        created_files=[_relative(path, root) for path in files],
        edited_files=[_relative(path, root) for path in edited],
    )


def create_project(root: Path, orgao: str, projeto: str) -> ScaffoldResult:
    """Creates `pipelines/<orgao>/<projeto>/` with its six files and wires it in.

    Adds ``from pipelines.<orgao>.<projeto>.flows import *`` to the orgao's
    `__init__.py`, so that its flows are registered.

    Args:
        root: the repository root.
        orgao: an existing orgao's package name.
        projeto: the new project's folder name.

    Returns:
        The folder and files created and the files edited.

    Raises:
        InvalidNameError: the project name breaks the naming rules.
        MissingOrgaoError: the orgao does not exist or declares no SIGLA.
        NameTakenError: the project already exists.
        ScaffoldWriteError: writing failed; every change was undone.
    """
    pipelines_dir = root / "pipelines"
    orgao_dir = pipelines_dir / orgao
    if not (orgao_dir / "__init__.py").is_file() or orgao_dir.parent != pipelines_dir:
        known = [path.name for path in list_orgao_folders(pipelines_dir)]
        raise MissingOrgaoError(
            f"No orgao {orgao!r} in pipelines/ (orgaos: {known!r}); pick one of those, "
            f"or create it with 'pipelines new orgao {orgao} --sigla <SIGLA>'."
        )
    validate_project_slug(projeto)
    import_line = f"from pipelines.{orgao}.{projeto}.flows import *  # noqa: F401,F403"
    if len(import_line) > MAX_LINE_LENGTH:
        room = MAX_LINE_LENGTH - len(import_line) + len(projeto)
        raise InvalidNameError(
            f"Invalid project name {projeto!r}: in orgao {orgao!r} a project name has at "
            f"most {room} characters, so that its import line in the orgao's __init__.py "
            f"fits in {MAX_LINE_LENGTH} columns; choose a shorter name."
        )
    target = orgao_dir / projeto
    if target.exists() or (orgao_dir / f"{projeto}.py").exists():
        raise NameTakenError(
            f"Project {projeto!r} already exists at pipelines/{orgao}/{projeto}; choose "
            "another name."
        )
    sigla, _ = read_constant(orgao_dir / "constants.py", "ORGAO_SIGLA")
    if sigla is None:
        raise MissingOrgaoError(
            f"Orgao {orgao!r} declares no ORGAO_SIGLA in pipelines/{orgao}/constants.py; "
            'add it (e.g. ORGAO_SIGLA = "EMD") first: the project\'s flow names start '
            "with it."
        )
    answers = {
        "orgao": orgao,
        "projeto": projeto,
        "sigla": sigla,
        "dev_label_constant": OrgaoNames(orgao, sigla).dev_label_constant,
    }

    with Changes() as changes:
        files = _render_into_place(changes, "project", target, answers)
        init_path = orgao_dir / "__init__.py"
        changes.write_text(
            init_path,
            insert_import_line(
                init_path.read_text(encoding="utf-8"),
                import_line,
                f"from pipelines.{orgao}.",
                f"{sigla} ({orgao}): imports the flows of each of its projects.",
            ),
        )
        if projeto not in _imported_projects(init_path, orgao):
            raise ScaffoldWriteError(f"{init_path} does not import the new project.")
        edited = changes.edited_files
    return ScaffoldResult(
        created_folder=_relative(target, root),
        created_files=[_relative(path, root) for path in files],
        edited_files=[_relative(path, root) for path in edited],
    )


def _render_into_place(
    changes: Changes, template: str, target: Path, answers: dict[str, str]
) -> list[Path]:
    """Renders into a temporary folder beside `target`, then moves it into place."""
    with tempfile.TemporaryDirectory(
        dir=target.parent, prefix=f".{target.name}-"
    ) as staging:
        rendered = Path(staging) / target.name
        files = render_template(template, rendered, answers)
        changes.move_folder(rendered, target)
    return [target / path.relative_to(rendered) for path in files]


def _refuse_taken_orgao(pipelines_dir: Path, names: OrgaoNames) -> None:
    """Refuses an orgao whose folder or SIGLA already exists."""
    if (pipelines_dir / names.slug).exists() or (
        pipelines_dir / f"{names.slug}.py"
    ).exists():
        raise NameTakenError(
            f"Orgao {names.slug!r} already exists at pipelines/{names.slug}; choose another "
            f"slug, or add a project to it with 'pipelines new project {names.slug} <projeto>'."
        )
    for orgao_dir in list_orgao_folders(pipelines_dir):
        existing, _ = read_constant(orgao_dir / "constants.py", "ORGAO_SIGLA")
        if existing == names.sigla:
            raise NameTakenError(
                f"SIGLA {names.sigla!r} is already declared by orgao {orgao_dir.name!r} "
                f"(pipelines/{orgao_dir.name}/constants.py); each orgao has its own SIGLA."
            )


def _missing_label_constants(constants_path: Path, names: OrgaoNames) -> list[str]:
    """The agent label constants to add; refuses one that exists with another value."""
    missing = []
    for constant, label in (
        (names.label_constant, names.label),
        (names.dev_label_constant, names.dev_label),
    ):
        existing, line = read_constant(constants_path, constant)
        if line is None:
            missing.append(f'{constant} = "{label}"')
        elif existing != label:
            raise NameTakenError(
                f"pipelines/constants.py:{line} already declares {constant} = "
                f"{existing!r}, not {label!r}; fix that constant or choose another slug."
            )
    return missing


def _verify_orgao(root: Path, names: OrgaoNames) -> None:
    """Checks, from the files, that the registry and the checks will see the orgao."""
    pipelines_dir = root / "pipelines"
    if names.slug not in {path.name for path in list_orgao_folders(pipelines_dir)}:
        raise ScaffoldWriteError(f"pipelines/{names.slug} is not seen as an orgao.")
    if names.slug not in imported_orgaos(pipelines_dir / "__init__.py"):
        raise ScaffoldWriteError(f"pipelines/__init__.py does not import {names.slug}.")
    for constant, label in (
        (names.label_constant, names.label),
        (names.dev_label_constant, names.dev_label),
    ):
        if read_constant(pipelines_dir / "constants.py", constant)[0] != label:
            raise ScaffoldWriteError(f"pipelines/constants.py lacks {constant}.")


def _imported_projects(init_path: Path, orgao: str) -> set[str]:
    prefix = f"from pipelines.{orgao}."
    found = set()
    for line in init_path.read_text(encoding="utf-8").splitlines():
        if line.startswith(prefix):
            parts = line[len(prefix) :].split(" ", 1)[0].split(".")
            if len(parts) == 2 and parts[1] == "flows":
                found.add(parts[0])
    return found


def _relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()
