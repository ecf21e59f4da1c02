"""Run config, storage and image tag of a flow registered for the cloud."""

import subprocess
from datetime import timedelta
from pathlib import Path

import pendulum
import pytest
from prefect import Flow, Parameter, task
from prefect.run_configs import KubernetesRun, LocalRun
from prefect.schedules import Schedule
from prefect.schedules.clocks import IntervalClock
from prefect.storage import Module

from pipelines_cli.registration.deployment import (
    agent_labels,
    image_reference,
    prepare_flow,
    resolve_image_tag,
    uncommitted_files,
)
from pipelines_cli.registration.exceptions import (
    ImageTagError,
    RunConfigError,
    UnschedulableFlowError,
)

IMAGE = "ghcr.io/prefeitura-rio/pipelines:abc123"


@task
def say(text: str) -> str:
    """Returns its input."""
    return text


def _flow(*, clock_labels: list[str] | None = None) -> Flow:
    with Flow("EMD: teste - Dizer oi") as flow:
        say("oi")
    if clock_labels is not None:
        clock = IntervalClock(
            timedelta(days=1),
            start_date=pendulum.datetime(2021, 1, 1),
            labels=clock_labels,
        )
        flow.schedule = Schedule(clocks=[clock])
    return flow


def _git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args]
    return subprocess.run(
        command, cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_prepare_flow_takes_labels_from_the_schedule_and_leaves_the_flow_alone() -> (
    None
):
    flow = _flow(clock_labels=["rj-escritorio-dev"])

    prepared = prepare_flow(flow, "pipelines.rj_x.y.flows", IMAGE)

    assert isinstance(prepared.run_config, KubernetesRun)
    assert prepared.run_config.image == IMAGE
    assert prepared.run_config.labels == {"rj-escritorio-dev"}
    assert isinstance(prepared.storage, Module)
    assert prepared.storage.module == "pipelines.rj_x.y.flows"
    assert prepared.storage.flows == {flow.name: "pipelines.rj_x.y.flows"}
    assert flow.run_config is None and flow.storage is None


def test_prepare_flow_keeps_the_flows_kubernetes_settings_but_sets_the_image() -> None:
    flow = _flow(clock_labels=["rj-escritorio-dev"])
    flow.run_config = KubernetesRun(
        image="somewhere/else:old", labels=["rj-escritorio"], memory_request="2Gi"
    )

    prepared = prepare_flow(flow, "pipelines.rj_x.y.flows", IMAGE)

    assert prepared.run_config.image == IMAGE
    assert prepared.run_config.memory_request == "2Gi"
    assert prepared.run_config.labels == {
        "rj-escritorio"
    }  # the run config's own labels
    assert flow.run_config.image == "somewhere/else:old"
    assert agent_labels(flow) == ["rj-escritorio"]


def test_prepare_flow_refuses_another_run_config_type() -> None:
    flow = _flow(clock_labels=["rj-escritorio-dev"])
    flow.run_config = LocalRun(labels=["rj-escritorio-dev"])

    with pytest.raises(
        RunConfigError, match="sets a LocalRun run config; .* KubernetesRun"
    ):
        prepare_flow(flow, "pipelines.rj_x.y.flows", IMAGE)


def test_prepare_flow_without_any_label_says_where_to_set_one() -> None:
    with pytest.raises(
        RunConfigError, match="has no agent label.*RJ_<ORGAO>_AGENT_LABEL"
    ):
        prepare_flow(_flow(), "pipelines.rj_x.y.flows", IMAGE)


def test_prepare_flow_refuses_a_schedule_without_a_required_parameter() -> None:
    flow = _flow(clock_labels=["rj-escritorio-dev"])
    flow.add_task(Parameter("day", required=True))

    with pytest.raises(
        UnschedulableFlowError, match=r"required parameter\(s\) \['day'\]"
    ):
        prepare_flow(flow, "pipelines.rj_x.y.flows", IMAGE)

    flow.schedule.clocks[0].parameter_defaults = {"day": "2024-01-01"}
    assert prepare_flow(flow, "pipelines.rj_x.y.flows", IMAGE).run_config.image == IMAGE


def test_image_reference_uses_the_global_image_name() -> None:
    assert image_reference("abc") == "ghcr.io/prefeitura-rio/pipelines:abc"


def test_resolve_image_tag_prefers_the_option_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINES_IMAGE_TAG", "from-env")

    assert resolve_image_tag("from-option", tmp_path).tag == "from-option"
    resolved = resolve_image_tag(None, tmp_path)
    assert (resolved.tag, resolved.source) == ("from-env", "PIPELINES_IMAGE_TAG")


def test_resolve_image_tag_defaults_to_the_head_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPELINES_IMAGE_TAG", raising=False)
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("a\n")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-q", "-m", "first")

    resolved = resolve_image_tag(None, tmp_path)

    assert resolved.tag == _git(tmp_path, "rev-parse", "HEAD")
    assert resolved.source == "the HEAD commit"


def test_resolve_image_tag_ignores_a_checkout_rooted_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPELINES_IMAGE_TAG", raising=False)
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("a\n")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-q", "-m", "first")
    inner = tmp_path / "copy"
    inner.mkdir()

    with pytest.raises(ImageTagError, match="is not a git checkout"):
        resolve_image_tag(None, inner)


@pytest.mark.parametrize(
    "tag", ["", "-leading-dash", ".dot", "has space", "a" * 129, "ç"]
)
def test_resolve_image_tag_refuses_what_docker_refuses(
    tag: str, tmp_path: Path
) -> None:
    with pytest.raises(ImageTagError, match="is not a valid Docker tag"):
        resolve_image_tag(tag, tmp_path)


def test_uncommitted_files_lists_only_the_changed_ones(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text("x = 1\n")
    _git(tmp_path, "add", "a.py", "b.py")
    _git(tmp_path, "commit", "-q", "-m", "first")
    (tmp_path / "b.py").write_text("x = 2\n")

    assert uncommitted_files(tmp_path, ["a.py", "b.py"]) == ["b.py"]
    assert uncommitted_files(tmp_path / "missing", ["a.py"]) == []
