"""`pipelines register --plan --against REV`: the plan against a git revision, offline.

Runs the real command in a clone of this repository, so the revision's flows and the
working tree's are both real.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
GEOLOCATOR = "EMD: escritorio - Geolocalizacao de chamados 1746"
DUMP_DB_EXAMPLE = "EMD: dump_db_exemplo - Ingerir tabelas de exemplo"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository at its last commit."""
    path = tmp_path_factory.mktemp("clone") / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(path)], check=True)
    return path


def plan(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from pipelines_cli.main import main; sys.argv[0] = 'pipelines'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "register", "--project", "production", *args],
        cwd=clone,
        env={**os.environ, "PYTHONPATH": str(clone), "COLUMNS": "250"},
        capture_output=True,
        text=True,
        check=False,
    )


def status_of(output: str, flow: str) -> str:
    line = next(line for line in output.splitlines() if flow in line)
    return line.split()[1]


def test_plan_against_head_without_changes_is_all_unchanged(clone: Path) -> None:
    result = plan(clone, "--plan", "--against", "HEAD")
    assert result.returncode == 0, result.stderr
    assert "0 new, 0 changed, 0 invalid," in result.stdout
    assert "unchanged, 0 gone." in result.stdout


def test_plan_against_head_lists_flows_using_an_edited_shared_task(clone: Path) -> None:
    shared = clone / "pipelines/utils/dump_url/download.py"
    original = shared.read_text()
    shared.write_text(original + "\n# a change in a task only dump_url flows use\n")
    try:
        result = plan(clone, "--plan", "--against", "HEAD")
    finally:
        shared.write_text(original)
    assert result.returncode == 0, result.stderr
    assert status_of(result.stdout, GEOLOCATOR) == "changed"
    assert "pipelines/utils/dump_url/download.py (modified)" in result.stdout
    assert status_of(result.stdout, DUMP_DB_EXAMPLE) == "unchanged"


def test_plan_against_unknown_revision_is_one_clear_line(clone: Path) -> None:
    result = plan(clone, "--plan", "--against", "no-such-branch")
    assert result.returncode == 1
    assert "Git revision 'no-such-branch' cannot be read" in result.stderr


def test_against_without_plan_is_refused(clone: Path) -> None:
    result = plan(clone, "--against", "HEAD")
    assert result.returncode == 1
    assert "--against 'HEAD' only makes a plan: add --plan" in result.stderr
