"""Rules on the repository's layout: the six files, flows the registry can reach.

- `layout-files`: every orgao and project folder has `__init__.py`,
  `constants.py`, `flows.py`, `schedules.py`, `tasks.py` and `utils.py`.
- `layout-reachable`: `pipelines/__init__.py` imports every orgao, and each orgao's
  `__init__.py` imports every flow of its projects, so that importing `pipelines`
  reaches every flow (registration walks that).
- `import`: the flows import at all; an error is placed at the user's line.
"""

from pathlib import Path

from pipelines_cli.checks.facts import RepositoryFacts
from pipelines_cli.checks.problems import Problem
from pipelines_cli.checks.sources import (
    PACKAGE_FILES,
    imported_orgaos,
    list_orgao_folders,
    list_project_folders,
)


def check(facts: RepositoryFacts, root: Path) -> list[Problem]:
    """Runs the rules `layout-files`, `layout-reachable` and `import`."""
    problems = []
    if facts.import_failure is not None:
        failure = facts.import_failure
        problems.append(
            Problem(failure.path, failure.line, failure.rule, failure.message)
        )
    pipelines_dir = root / "pipelines"
    wired = imported_orgaos(pipelines_dir / "__init__.py")
    for orgao_dir in list_orgao_folders(pipelines_dir):
        problems.extend(_check_files(orgao_dir, root, "orgao"))
        if orgao_dir.name not in wired:
            problems.append(
                Problem(
                    "pipelines/__init__.py",
                    None,
                    "layout-reachable",
                    f"orgao {orgao_dir.name!r} is not imported by pipelines/__init__.py, "
                    "so importing pipelines misses its flows; add 'from pipelines "
                    f"import {orgao_dir.name}  # noqa: F401' there.",
                )
            )
        for project_dir in list_project_folders(orgao_dir):
            problems.extend(_check_files(project_dir, root, "project"))
    for flow in facts.flows:
        if not flow.is_reachable:
            problems.append(
                Problem(
                    flow.path,
                    flow.line,
                    "layout-reachable",
                    f"flow {flow.name!r} ({flow.attribute}) is not imported by "
                    f"pipelines/{flow.orgao}/__init__.py; add 'from {flow.module} "
                    "import *  # noqa: F401,F403' there.",
                )
            )
    return problems


def _check_files(folder: Path, root: Path, kind: str) -> list[Problem]:
    missing = [name for name in PACKAGE_FILES if not (folder / name).is_file()]
    if not missing:
        return []
    relative = folder.relative_to(root).as_posix()
    return [
        Problem(
            relative,
            None,
            "layout-files",
            f"{kind} folder {relative} lacks {', '.join(missing)}; every orgao and "
            f"project folder has the six files {', '.join(PACKAGE_FILES)}: create "
            "the missing ones, each with a module docstring.",
        )
    ]
