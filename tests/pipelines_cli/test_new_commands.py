"""`pipelines new orgao` and `pipelines new project`, through the CLI's test runner.

Each test works on its own copy of the repository (`--root`), so the real one is
never written to. The last test rehearses the whole path a person takes: scaffold,
`pipelines check`, black and pylint on the new files, and the layout contract test,
run by this environment's Python on a full copy of the repository.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pipelines_cli.app import app
from pipelines_cli.checks.facts import OrgaoFacts
from pipelines_cli.checks.runner import run_checks
from tests.pipelines_cli.checks.examples import REPO_ROOT, copy_repository

SIX_FILES = (
    "__init__.py",
    "constants.py",
    "flows.py",
    "schedules.py",
    "tasks.py",
    "utils.py",
)


def invoke(*arguments: str) -> Result:
    """Runs `pipelines ARGUMENTS...` through the test runner."""
    return CliRunner().invoke(app, list(arguments))


def snapshot(root: Path) -> dict[str, str]:
    """Every file under `pipelines/` with its text: to prove nothing changed."""
    return {
        path.relative_to(root).as_posix(): path.read_text(
            encoding="utf-8", errors="replace"
        )
        for path in sorted((root / "pipelines").rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def unused_project_name(root: Path, base: str = "exemplo") -> str:
    """`base`, or `base_2`, `base_3`...: a project rj_escritorio does not have yet.

    A person may already have scaffolded `exemplo` in the checkout being tested.
    """
    name, counter = base, 1
    while (root / "pipelines" / "rj_escritorio" / name).exists():
        counter += 1
        name = f"{base}_{counter}"
    return name


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A fresh copy of the repository's code."""
    return copy_repository(tmp_path / "repository")


def test_new_project_creates_six_documented_files_wired_into_the_orgao(
    repository: Path,
) -> None:
    projeto = unused_project_name(repository)
    result = invoke(
        "new", "project", "rj_escritorio", projeto, "--root", str(repository)
    )

    assert result.exit_code == 0, result.output
    folder = repository / "pipelines" / "rj_escritorio" / projeto
    assert sorted(path.name for path in folder.iterdir()) == sorted(SIX_FILES)
    for name in SIX_FILES:
        assert (folder / name).read_text(encoding="utf-8").startswith('"""'), name
    assert f'"EMD: {projeto} - ' in (folder / "flows.py").read_text(encoding="utf-8")
    orgao_init = (
        repository / "pipelines" / "rj_escritorio" / "__init__.py"
    ).read_text()
    assert (
        f"from pipelines.rj_escritorio.{projeto}.flows import *  # noqa: F401,F403\n"
        in (orgao_init)
    )
    assert f"Created pipelines/rj_escritorio/{projeto}/" in result.stdout
    assert "Edited pipelines/rj_escritorio/__init__.py" in result.stdout


def test_new_orgao_adds_package_labels_and_import_seen_by_the_registry(
    repository: Path,
) -> None:
    result = invoke(
        "new", "orgao", "rj_smtr", "--sigla", "SMTR", "--root", str(repository)
    )
    assert result.exit_code == 0, result.output
    project = invoke(
        "new", "project", "rj_smtr", "gps_onibus", "--root", str(repository)
    )
    assert project.exit_code == 0, project.output

    folder = repository / "pipelines" / "rj_smtr"
    assert {path.name for path in folder.iterdir()} >= set(SIX_FILES) | {"gps_onibus"}
    assert 'ORGAO_SIGLA = "SMTR"' in (folder / "constants.py").read_text()
    constants = (repository / "pipelines" / "constants.py").read_text()
    assert 'RJ_SMTR_AGENT_LABEL = "rj-smtr"' in constants
    assert 'RJ_SMTR_DEV_AGENT_LABEL = "rj-smtr-dev"' in constants
    package_init = (repository / "pipelines" / "__init__.py").read_text()
    assert "from pipelines import rj_smtr  # noqa: F401\n" in package_init
    assert "'rj-smtr' and 'rj-smtr-dev'" in result.stdout

    report = run_checks(repository)
    assert OrgaoFacts("rj_smtr", "SMTR") in report.facts.orgaos
    assert report.facts.agent_labels["rj-smtr-dev"] == "RJ_SMTR_DEV_AGENT_LABEL"
    assert not report.problems, report.problems


@pytest.mark.parametrize(
    ("projeto", "expected"),
    [
        ("Exemplo", "Invalid project name 'Exemplo'"),
        ("1exemplo", "Invalid project name '1exemplo'"),
        ("meu-projeto", "Invalid project name 'meu-projeto'"),
        ("duplo__traco", "Invalid project name 'duplo__traco'"),
        ("x" * 31, "at most 30 characters"),
        ("class", "Python keyword"),
        ("flows", "module every orgao has"),
        ("geolocator", "Project 'geolocator' already exists"),
    ],
)
def test_new_project_refuses_bad_or_taken_names_writing_nothing(
    repository: Path, projeto: str, expected: str
) -> None:
    before = snapshot(repository)

    result = invoke(
        "new", "project", "rj_escritorio", projeto, "--root", str(repository)
    )

    assert result.exit_code == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(repository) == before


def test_new_project_refuses_unknown_orgao(repository: Path) -> None:
    result = invoke("new", "project", "rj_nada", "exemplo", "--root", str(repository))
    assert result.exit_code == 1
    assert (
        "No orgao 'rj_nada' in pipelines/ (orgaos: ['rj_escritorio'])" in result.stderr
    )
    assert "pipelines new orgao rj_nada --sigla <SIGLA>" in result.stderr


@pytest.mark.parametrize(
    ("slug", "sigla", "expected"),
    [
        ("smtr", "SMTR", "Invalid orgao slug 'smtr'"),
        ("rj-smtr", "SMTR", "Invalid orgao slug 'rj-smtr'"),
        ("RJ_SMTR", "SMTR", "Invalid orgao slug 'RJ_SMTR'"),
        ("rj_smtr", "smtr", "Invalid SIGLA 'smtr'"),
        ("rj_smtr", "SM TR", "Invalid SIGLA 'SM TR'"),
        ("rj_escritorio", "EMD2", "Orgao 'rj_escritorio' already exists"),
        ("rj_smtr", "EMD", "SIGLA 'EMD' is already declared by orgao 'rj_escritorio'"),
    ],
)
def test_new_orgao_refuses_bad_or_taken_names_writing_nothing(
    repository: Path, slug: str, sigla: str, expected: str
) -> None:
    before = snapshot(repository)

    result = invoke("new", "orgao", slug, "--sigla", sigla, "--root", str(repository))

    assert result.exit_code == 1
    assert expected in result.stderr
    assert snapshot(repository) == before


def test_new_orgao_requires_the_sigla_option(repository: Path) -> None:
    result = invoke("new", "orgao", "rj_smtr", "--root", str(repository))
    assert result.exit_code == 2
    assert "Missing option '--sigla'" in result.stderr


def test_new_orgao_rolls_back_everything_when_wiring_fails(repository: Path) -> None:
    constants = repository / "pipelines" / "constants.py"
    constants.write_text(
        constants.read_text().replace("class constants(Enum):", "class settings(Enum):")
    )
    before = snapshot(repository)

    result = invoke(
        "new", "orgao", "rj_smtr", "--sigla", "SMTR", "--root", str(repository)
    )

    assert result.exit_code == 1
    assert "has no class 'constants'" in result.stderr
    assert snapshot(repository) == before
    leftovers = [path.name for path in (repository / "pipelines").iterdir()]
    assert not [name for name in leftovers if "rj_smtr" in name], leftovers


def test_new_project_templates_stay_within_line_limit_for_longest_names(
    repository: Path,
) -> None:
    orgao = "rj_" + "o" * 27
    root = ["--root", str(repository)]
    assert (
        invoke("new", "orgao", orgao, "--sigla", "ABCDEFGHIJKLMNO", *root).exit_code
        == 0
    )

    too_long = invoke("new", "project", orgao, "p" * 21, *root)
    assert too_long.exit_code == 1
    assert (
        f"in orgao {orgao!r} a project name has at most 20 characters"
        in too_long.stderr
    )
    assert invoke("new", "project", orgao, "p" * 20, *root).exit_code == 0

    longest = max(
        (len(line), str(path))
        for path in (repository / "pipelines").rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if orgao in str(path) or orgao in line
    )
    assert longest[0] <= 100, longest


def copy_whole_repository(destination: Path) -> Path:
    """Copies the repository as a clone would have it: no .venv, .git or datalake."""
    ignored = shutil.ignore_patterns(
        ".venv",
        ".git",
        ".datalake",
        "__pycache__",
        ".pytest_cache",
        "*.egg-info",
        "target",
    )
    shutil.copytree(REPO_ROOT, destination, ignore=ignored)
    return destination


@pytest.mark.integration
def test_new_project_then_check_lint_and_contract_pass_in_a_copy(
    tmp_path: Path,
) -> None:
    """Scaffold → check → black → pylint → layout contract, in a copy of the repo.

    The copy reuses this environment's interpreter with the copy first on
    PYTHONPATH, as `make` would in a fresh clone with its own environment.
    """
    copy = copy_whole_repository(tmp_path / "clone")
    projeto = unused_project_name(copy)
    environment = {**os.environ, "PYTHONPATH": str(copy)}
    cli = [sys.executable, "-c", "from pipelines_cli.app import app; app()"]

    def run(*command: str) -> subprocess.CompletedProcess:
        completed = subprocess.run(
            list(command),
            cwd=copy,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert (
            completed.returncode == 0
        ), f"{command}\n{completed.stdout}\n{completed.stderr}"
        return completed

    created = run(*cli, "new", "project", "rj_escritorio", projeto)
    assert f"Created pipelines/rj_escritorio/{projeto}/" in created.stdout
    checked = run(*cli, "check")
    assert checked.stdout.startswith("OK: ")

    new_files = [f"pipelines/rj_escritorio/{projeto}/{name}" for name in SIX_FILES]
    new_files.append("pipelines/rj_escritorio/__init__.py")
    run(sys.executable, "-m", "black", "--check", "--quiet", *new_files)
    run(sys.executable, "-m", "pylint", "--rcfile=.pylintrc", "--score=n", *new_files)
    contract = run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_layout_contract.py",
    )
    assert " passed" in contract.stdout and "failed" not in contract.stdout
