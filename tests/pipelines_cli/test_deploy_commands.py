"""`pipelines register` and `pipelines run-cloud`, through the CLI's test runner.

Each test runs the CLI in a generated repository (see `registration/harness.py`)
against the Prefect Server stand-in of `registration/prefect_server_standin.py`: a
Prefect 1 Server needs Docker and Hasura and cannot run here, so the stand-in speaks
its GraphQL API on loopback to Prefect's own client.
"""

from pathlib import Path
from typing import Any

import pytest

from tests.pipelines_cli.registration import harness

sample_repo = harness.sample_repo
standin = harness.standin
prefect_server = harness.prefect_server

STAGING = ["register", "--project", "staging", "--no-schedule"]
PRODUCTION = ["register", "--project", "production"]
CREATE = "create_flow_from_compressed_string"


def _register(args: list[str], env: dict[str, str] | None = None) -> Any:
    result = harness.invoke(args, env=env)
    assert result.exit_code == 0, result.output
    return result


def _created(server: Any) -> list[str]:
    """Names of the flows whose creation was asked for, in request order."""
    return [request.flow_name for request in server.operations(CREATE)]


@pytest.mark.usefixtures("sample_repo")
def test_register_first_run_registers_every_flow_with_image_labels_and_storage(
    prefect_server: Any,
) -> None:
    _register(STAGING)

    flows = {row["name"]: row for row in prefect_server.flows("staging")}
    assert sorted(flows) == sorted(harness.ALL_FLOWS)
    image = f"ghcr.io/prefeitura-rio/pipelines:{harness.IMAGE_TAG}"
    for name, row in flows.items():
        assert row["version"] == 1
        assert row["run_config"]["type"] == "KubernetesRun"
        assert row["run_config"]["image"] == image
        assert row["storage"]["type"] == "Module"
        assert row["storage"]["flows"] == {name: row["storage"]["module"]}
        key = prefect_server.flow_group_settings(row["flow_group_id"])[
            "idempotency_key"
        ]
        assert key.startswith("pipelines-fingerprint/1:")
    assert (
        flows[harness.SHARED_TASK_FLOW]["storage"]["module"]
        == "pipelines.rj_alfa.ingest.flows"
    )
    assert (
        flows[harness.COPIED_FLOW]["storage"]["module"]
        == "pipelines.rj_alfa.copies.flows"
    )
    assert flows[harness.SHARED_TASK_FLOW]["run_config"]["labels"] == [
        "rj-escritorio-dev"
    ]
    report = flows[harness.REPORT_FLOW]["run_config"]
    assert report["labels"] == ["rj-escritorio"]
    assert (
        report["cpu_request"] == "500m"
    )  # the flow's own Kubernetes settings are kept
    assert prefect_server.flows("production") == []


@pytest.mark.usefixtures("sample_repo")
def test_register_sends_the_api_key_from_prefect_configuration(
    prefect_server: Any,
) -> None:
    _register(STAGING)

    assert prefect_server.requests
    for request in prefect_server.requests:
        assert request.headers.get("Authorization") == f"Bearer {harness.API_KEY}"


@pytest.mark.usefixtures("sample_repo")
def test_register_second_run_without_change_skips_every_flow(
    prefect_server: Any,
) -> None:
    _register(STAGING)
    prefect_server.clear_requests()

    result = _register(STAGING)

    assert _created(prefect_server) == []
    assert "0 registered, 4 unchanged, 0 failed." in result.output
    assert {row["version"] for row in prefect_server.flows("staging")} == {1}


def test_register_shared_task_change_reregisters_every_flow_using_it(
    sample_repo: Any, prefect_server: Any, tmp_path: Path
) -> None:
    _register(STAGING)
    sample_repo.append(harness.SHARED_TASK_FILE, "\n\nBATCH_SIZE = 10\n")
    plan_file = tmp_path / "plan.md"

    plan = _register([*STAGING, "--plan", "--markdown", str(plan_file)])
    prefect_server.clear_requests()
    _register(STAGING)

    # the flow that imports the task, and the copy of the pre-defined flow that uses it
    expected = sorted([harness.SHARED_TASK_FLOW, harness.COPIED_FLOW])
    assert sorted(_created(prefect_server)) == expected
    markdown = plan_file.read_text()
    for name in expected:
        line = next(
            line for line in markdown.splitlines() if line.startswith(f"| {name} ")
        )
        assert "| changed |" in line
        assert f"{harness.SHARED_TASK_FILE} (modified)" in line
    assert "@paty-escritorio" in markdown  # owners are mentioned by their GitHub login
    assert "@diego-escritorio" in markdown
    assert "2 unchanged flows" in markdown
    assert "0 new, 2 changed, 0 invalid, 2 unchanged, 0 gone" in plan.output

    versions = {row["name"]: row["version"] for row in prefect_server.flows("staging")}
    assert versions == {
        harness.SHARED_TASK_FLOW: 2,
        harness.COPIED_FLOW: 2,
        harness.OWN_TASK_FLOW: 1,
        harness.REPORT_FLOW: 1,
    }
    archived = [
        row
        for row in prefect_server.flows("staging", include_archived=True)
        if row["archived"]
    ]
    assert sorted((row["name"], row["version"]) for row in archived) == [
        (harness.COPIED_FLOW, 1),
        (harness.SHARED_TASK_FLOW, 1),
    ]


def test_register_template_change_reregisters_its_copies_only(
    sample_repo: Any, prefect_server: Any
) -> None:
    _register(STAGING)
    sample_repo.append(harness.TEMPLATE_FILE, "\n\nTEMPLATE_VERSION = 2\n")
    prefect_server.clear_requests()

    _register(STAGING)

    assert _created(prefect_server) == [harness.COPIED_FLOW]


@pytest.mark.usefixtures("sample_repo")
def test_register_image_tag_change_alone_registers_nothing(prefect_server: Any) -> None:
    _register(STAGING)
    prefect_server.clear_requests()

    result = _register(STAGING, env={"PIPELINES_IMAGE_TAG": "another-commit"})

    assert _created(prefect_server) == []
    assert "0 registered, 4 unchanged, 0 failed." in result.output


def test_register_lock_change_reregisters_every_flow(
    sample_repo: Any, prefect_server: Any
) -> None:
    _register(STAGING)
    sample_repo.append("requirements.lock", "extra-package==1.0.0\n")

    plan = _register([*STAGING, "--plan"])
    prefect_server.clear_requests()
    _register(STAGING)

    assert sorted(_created(prefect_server)) == sorted(harness.ALL_FLOWS)
    assert "requirements.lock (modified)" in plan.output
    assert {row["version"] for row in prefect_server.flows("staging")} == {2}


@pytest.mark.usefixtures("sample_repo")
def test_register_retries_a_transient_502_and_counts_the_flow_once(
    prefect_server: Any,
) -> None:
    prefect_server.fail(CREATE, flow_name=harness.OWN_TASK_FLOW, status=502, times=2)

    result = _register(STAGING)

    assert _created(prefect_server).count(harness.OWN_TASK_FLOW) == 3
    rows = prefect_server.flows("staging", include_archived=True)
    assert [row["version"] for row in rows if row["name"] == harness.OWN_TASK_FLOW] == [
        1
    ]
    assert "4 registered, 0 unchanged, 0 failed." in result.output
    assert (
        f"registered '{harness.OWN_TASK_FLOW}' as version 1 after 3 attempts"
        in result.output
    )


@pytest.mark.usefixtures("sample_repo")
def test_register_permanent_error_fails_that_flow_and_registers_the_others(
    prefect_server: Any,
) -> None:
    prefect_server.fail(
        CREATE,
        flow_name=harness.REPORT_FLOW,
        times=None,
        error_message="Invalid project.",
    )

    result = harness.invoke(STAGING)

    assert result.exit_code == 1
    assert (
        _created(prefect_server).count(harness.REPORT_FLOW) == 1
    )  # refused: not retried
    assert f"1 of 4 flows failed to register: '{harness.REPORT_FLOW}'" in result.output
    assert "Invalid project." in result.output
    names = {row["name"] for row in prefect_server.flows("staging")}
    assert names == set(harness.ALL_FLOWS) - {harness.REPORT_FLOW}


@pytest.mark.usefixtures("sample_repo")
def test_register_transient_errors_on_every_attempt_fail_after_the_retries(
    prefect_server: Any,
) -> None:
    prefect_server.fail(CREATE, flow_name=harness.REPORT_FLOW, status=503, times=None)

    result = harness.invoke(STAGING)

    assert result.exit_code == 1
    assert (
        _created(prefect_server).count(harness.REPORT_FLOW) == 3
    )  # the policy's attempts
    assert "failed after 3 attempts: HTTP 503" in result.output


def test_register_two_flows_with_one_name_sends_nothing(
    sample_repo: Any, prefect_server: Any
) -> None:
    flows_file = sample_repo.path("pipelines/rj_alfa/own/flows.py")
    flows_file.write_text(
        flows_file.read_text().replace(harness.OWN_TASK_FLOW, harness.SHARED_TASK_FLOW)
    )

    result = harness.invoke(STAGING)

    assert result.exit_code == 1
    assert f"flow name {harness.SHARED_TASK_FLOW!r}" in result.output
    assert "pipelines.rj_alfa.own.flows" in result.output
    assert prefect_server.requests == []


@pytest.mark.usefixtures("sample_repo")
@pytest.mark.parametrize(
    ("args", "project", "is_active"),
    [(STAGING, "staging", False), (PRODUCTION, "production", True)],
    ids=["staging", "production"],
)
def test_register_schedules_inactive_in_staging_and_active_in_production(
    prefect_server: Any, args: list[str], project: str, is_active: bool
) -> None:
    _register(args)

    scheduled = [
        row for row in prefect_server.flows(project) if row["schedule"] is not None
    ]
    assert len(scheduled) == 3
    assert {row["is_schedule_active"] for row in scheduled} == {is_active}
    activations = prefect_server.operations("set_schedule_active")
    assert len(activations) == (4 if is_active else 0)


@pytest.mark.usefixtures("sample_repo")
def test_register_staging_with_active_schedules_is_refused(prefect_server: Any) -> None:
    result = harness.invoke(["register", "--project", "staging"])

    assert result.exit_code == 1
    assert "pass --no-schedule" in result.output
    assert prefect_server.requests == []


def test_register_plan_registers_nothing_and_lists_flows_gone_from_the_code(
    sample_repo: Any, prefect_server: Any
) -> None:
    _register(PRODUCTION)
    init = sample_repo.path("pipelines/rj_beta/__init__.py")
    init.write_text('"""Orgao rj_beta, without projects now."""\n')
    sample_repo.path("pipelines/rj_beta/report/flows.py").unlink()
    prefect_server.clear_requests()

    result = _register([*PRODUCTION, "--plan"])

    assert _created(prefect_server) == []
    assert "0 new, 0 changed, 0 invalid, 3 unchanged, 1 gone" in result.output
    line = next(
        line for line in result.output.splitlines() if harness.REPORT_FLOW in line
    )
    assert "gone" in line


@pytest.mark.usefixtures("prefect_server")
def test_register_plan_names_an_invalid_flow_and_fails(sample_repo: Any) -> None:
    sample_repo.append(
        "pipelines/rj_alfa/own/flows.py",
        "\nfrom prefect.run_configs import LocalRun\n\nown_flow.run_config = LocalRun()\n",
    )

    result = harness.invoke([*STAGING, "--plan"])

    assert result.exit_code == 1
    assert "sets a LocalRun run config" in result.output
    assert f"1 flow(s) cannot be registered: '{harness.OWN_TASK_FLOW}'" in result.output


@pytest.mark.usefixtures("sample_repo", "prefect_server")
def test_register_unknown_project_is_named_with_the_fix() -> None:
    result = harness.invoke(["register", "--project", "producton"])

    assert result.exit_code == 1
    assert "Prefect project 'producton' does not exist" in result.output
    assert "prefect create project 'producton'" in result.output


@pytest.mark.usefixtures("sample_repo")
def test_register_without_image_tag_outside_git_says_how_to_set_one(
    prefect_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPELINES_IMAGE_TAG")

    result = harness.invoke(STAGING)

    assert result.exit_code == 1
    assert "No image tag: PIPELINES_IMAGE_TAG is not set" in result.output
    assert prefect_server.requests == []


@pytest.mark.usefixtures("sample_repo", "prefect_server")
def test_register_invalid_image_tag_is_refused() -> None:
    result = harness.invoke([*STAGING, "--image-tag", "-bad tag"])

    assert result.exit_code == 1
    assert (
        "Image tag '-bad tag' (from --image-tag) is not a valid Docker tag"
        in result.output
    )


@pytest.mark.usefixtures("sample_repo")
def test_run_cloud_registers_in_staging_and_prints_the_link_to_the_run(
    prefect_server: Any,
) -> None:
    result = harness.invoke(
        [
            "run-cloud",
            harness.REPORT_FLOW,
            "--label",
            "rj-escritorio-dev",
            "-p",
            "day=2024-04-01",
        ],
        env={"PIPELINES_PREFECT_UI_URL": "https://prefect.example.org/"},
    )

    assert result.exit_code == 0, result.output
    [row] = prefect_server.flows("staging")
    assert row["name"] == harness.REPORT_FLOW
    assert row["is_schedule_active"] is False
    [run] = prefect_server.flow_runs()
    assert run["flow_id"] == row["id"]
    assert run["parameters"] == {"day": "2024-04-01"}
    assert run["labels"] == ["rj-escritorio-dev"]
    link = f"https://prefect.example.org/default/flow-run/{run['id']}"
    assert link in result.output


@pytest.mark.usefixtures("sample_repo")
def test_run_cloud_never_touches_the_production_project(prefect_server: Any) -> None:
    _register(PRODUCTION)
    production_ids = {row["id"] for row in prefect_server.flows("production")}
    production_project = {
        request.variables["input"]["project_id"]
        for request in prefect_server.operations(CREATE)
    }
    prefect_server.clear_requests()

    for name in harness.ALL_FLOWS:
        extra = ["-p", "day=2024-04-01"] if name == harness.REPORT_FLOW else []
        result = harness.invoke(["run-cloud", name, *extra])
        assert result.exit_code == 0, result.output

    created_in = {
        request.variables["input"]["project_id"]
        for request in prefect_server.operations(CREATE)
    }
    assert created_in and created_in.isdisjoint(production_project)
    assert {row["id"] for row in prefect_server.flows("production")} == production_ids
    assert all(
        run["flow_id"] not in production_ids for run in prefect_server.flow_runs()
    )
    for request in prefect_server.requests:
        assert "production" not in request.query + str(
            request.variables
        ), request.operation


@pytest.mark.usefixtures("sample_repo")
def test_run_cloud_unknown_label_lists_the_declared_ones(prefect_server: Any) -> None:
    result = harness.invoke(
        ["run-cloud", harness.OWN_TASK_FLOW, "--label", "rj-escritorio-dve"]
    )

    assert result.exit_code == 1
    assert "Unknown agent label(s) ['rj-escritorio-dve']" in result.output
    assert "'rj-escritorio-dev'" in result.output
    assert prefect_server.requests == []


@pytest.mark.usefixtures("sample_repo")
def test_run_cloud_unknown_flow_suggests_close_names(prefect_server: Any) -> None:
    result = harness.invoke(["run-cloud", "ALFA: own - Tarefa propri"])

    assert result.exit_code == 1
    assert f"Did you mean {harness.OWN_TASK_FLOW!r}" in result.output
    assert prefect_server.requests == []
