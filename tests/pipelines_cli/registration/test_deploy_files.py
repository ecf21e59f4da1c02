"""The image and the GitHub workflows, checked statically.

`docker build` and GitHub Actions cannot run on these machines: the Dockerfile is
checked with hadolint and read for what it must do; the workflows are checked with
actionlint and read for the commands they call, which the other tests run for real.
"""

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelines.constants import constants

ROOT = Path(__file__).resolve().parents[3]
BIN = ROOT / ".venv" / "bin"
WORKFLOWS = ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True


def _run_lines(workflow: dict[str, Any]) -> list[str]:
    return [
        step["run"]
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), " ".join(rest.split())))
    return instructions


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_installs_the_lock_and_the_package_and_runs_as_non_root() -> None:
    instructions = _dockerfile_instructions()
    keywords = [keyword for keyword, _ in instructions]
    runs = [rest for keyword, rest in instructions if keyword == "RUN"]
    copies = [rest for keyword, rest in instructions if keyword == "COPY"]

    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert "requirements.lock ./" in copies
    lock_install = next(
        i for i, run in enumerate(runs) if "-r requirements.lock" in run
    )
    assert "--require-hashes" in runs[lock_install]
    package_install = next(
        i for i, run in enumerate(runs) if re.search(r"pip install .* \.( |$)", run)
    )
    assert lock_install < package_install
    for folder in ("pipelines", "pipelines_cli", "queries"):
        assert any(copy.startswith(f"{folder} ") for copy in copies), folder

    user = [rest for keyword, rest in instructions if keyword == "USER"]
    assert user, "the Dockerfile sets no USER: the image would run as root"
    assert user[-1].split(":")[0] not in ("root", "0")
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")


def test_dockerignore_keeps_secrets_and_the_environment_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()

    for pattern in (".git", ".venv", ".datalake", ".secrets.local.*", "tests"):
        assert pattern in ignored


def test_workflows_pass_actionlint() -> None:
    result = subprocess.run(
        [str(BIN / "actionlint"), "-no-color"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list(WORKFLOWS.glob("*.yml"))) >= 4


def test_pull_request_workflow_lints_tests_and_comments_the_plan() -> None:
    workflow = _workflow("ci.yml")
    runs = _run_lines(workflow)

    assert "pull_request" in _triggers(workflow)
    assert "make lint" in runs
    assert "make test" in runs
    plan = next(run for run in runs if "pipelines register" in run)
    assert f"--project {constants.PREFECT_PRODUCTION_PROJECT.value}" in plan
    assert "--plan" in plan and "--markdown registration-plan.md" in plan
    assert any("gh pr comment" in run and "registration-plan.md" in run for run in runs)


@pytest.mark.parametrize(
    ("name", "branches", "project", "schedule_flag"),
    [
        (
            "cd-staging.yml",
            ["staging/**"],
            constants.PREFECT_STAGING_PROJECT.value,
            True,
        ),
        (
            "cd-production.yml",
            ["master"],
            constants.PREFECT_PRODUCTION_PROJECT.value,
            False,
        ),
    ],
)
def test_deploy_workflows_build_the_image_then_register_into_their_project(
    name: str, branches: list[str], project: str, schedule_flag: bool
) -> None:
    workflow = _workflow(name)
    jobs = workflow["jobs"]

    assert _triggers(workflow)["push"]["branches"] == branches
    assert jobs["image"]["uses"] == "./.github/workflows/image.yml"
    assert jobs["register"]["needs"] == "image"
    assert jobs["register"]["env"]["PIPELINES_IMAGE_TAG"] == "${{ github.sha }}"
    [register] = [run for run in _run_lines(workflow) if "pipelines register" in run]
    assert f"--project {project} " in register + " "
    assert ("--no-schedule" in register) is schedule_flag
    assert "--plan" not in register


def test_image_workflow_pushes_the_image_named_in_constants_with_the_commit_tag() -> (
    None
):
    text = (WORKFLOWS / "image.yml").read_text()

    assert f"{constants.DOCKER_IMAGE_NAME.value}:${{GITHUB_SHA}}" in text
    assert "push: true" in text


def test_every_secret_and_variable_the_workflows_use_is_documented_in_the_readme() -> (
    None
):
    readme = (ROOT / "README.md").read_text()
    deploy = readme[
        readme.index("<!-- section:deploy -->") : readme.index(
            "<!-- /section:deploy -->"
        )
    ]
    env_table = readme[
        readme.index("<!-- section:env -->") : readme.index("<!-- /section:env -->")
    ]
    used_secrets, used_variables, prefect_env = set(), set(), set()
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        used_secrets.update(re.findall(r"secrets\.([A-Z0-9_]+)", text))
        used_variables.update(re.findall(r"vars\.([A-Z0-9_]+)", text))
        prefect_env.update(
            re.findall(r"^\s+(PREFECT__[A-Z_]+|PIPELINES_[A-Z_]+):", text, re.M)
        )

    assert {"PREFECT_API_URL", "PREFECT_API_KEY", "GITHUB_TOKEN"} <= used_secrets
    for name in used_secrets | used_variables:
        assert (
            f"| `{name}` |" in deploy
        ), f"{name} is used by a workflow but not documented"
    for name in prefect_env:
        assert f"| `{name}` |" in env_table, f"{name} is missing from the env table"
