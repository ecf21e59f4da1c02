"""The plan: each flow of the code against the project, and its pull-request comment."""

from pipelines_cli.registration.client import RemoteFlow
from pipelines_cli.registration.fingerprint import Fingerprint
from pipelines_cli.registration.plan import (
    PLAN_MARKER,
    LocalFlow,
    Status,
    compare,
    plan_markdown,
)

IMAGE = "ghcr.io/prefeitura-rio/pipelines:abc"


def _fingerprint(content: str) -> Fingerprint:
    return Fingerprint(
        flow="f" * 64, lock="l" * 64, files={"pipelines/a.py": content * 64}
    )


def _local(
    name: str, fingerprint: Fingerprint | None, owners: tuple[str, ...] = ("paty",)
) -> LocalFlow:
    error = None if fingerprint else f"Flow {name!r} has no agent label."
    return LocalFlow(
        name, "pipelines.rj_x.y.flows", owners, fingerprint=fingerprint, error=error
    )


def _remote(name: str, key: str | None, version: int = 1) -> RemoteFlow:
    return RemoteFlow(f"id-{name}", name, version, key, is_schedule_active=True)


def _sample_plan() -> tuple[list[LocalFlow], dict[str, RemoteFlow]]:
    local = [
        _local("B: changed", _fingerprint("2")),
        _local("A: unchanged", _fingerprint("1")),
        _local("C: new | piped", _fingerprint("1"), owners=("diego", "someone")),
        _local("D: invalid", None),
    ]
    remote = {
        "A: unchanged": _remote("A: unchanged", _fingerprint("1").idempotency_key),
        "B: changed": _remote(
            "B: changed", _fingerprint("1").idempotency_key, version=3
        ),
        "E: gone": _remote("E: gone", None, version=7),
    }
    return local, remote


def test_compare_gives_each_flow_its_status_in_plan_order() -> None:
    local, remote = _sample_plan()

    plan = compare(local, remote, project="production", image=IMAGE)

    assert [(item.name, item.status) for item in plan.flows] == [
        ("C: new | piped", Status.NEW),
        ("B: changed", Status.CHANGED),
        ("D: invalid", Status.INVALID),
        ("A: unchanged", Status.UNCHANGED),
        ("E: gone", Status.GONE),
    ]
    changed = plan.flows[1]
    assert changed.reason == "pipelines/a.py (modified)"
    assert plan.flows[4].reason.startswith("version 7 is registered")
    assert plan.summary() == (
        "Plan for Prefect project 'production': 1 new, 1 changed, 1 invalid, "
        "1 unchanged, 1 gone."
    )


def test_plan_markdown_lists_affected_flows_with_their_owners() -> None:
    local, remote = _sample_plan()
    plan = compare(local, remote, project="production", image=IMAGE)

    markdown = plan_markdown(
        plan, {"paty": "paty-escritorio", "diego": "diego-escritorio"}
    )

    lines = markdown.splitlines()
    assert lines[0] == PLAN_MARKER
    assert (
        "| C: new \\| piped | new | @diego-escritorio, someone | not in the project yet |"
        in lines
    )
    assert (
        "| B: changed | changed | @paty-escritorio | pipelines/a.py (modified) |"
        in lines
    )
    assert any(line.startswith("| D: invalid | invalid |") for line in lines)
    assert any(line.startswith("| E: gone | gone | - |") for line in lines)
    assert "<details><summary>1 unchanged flows</summary>" in lines
    assert "- A: unchanged" in lines
    assert "| A: unchanged |" not in markdown


def test_plan_markdown_without_affected_flows_says_so() -> None:
    plan = compare(
        [_local("A: unchanged", _fingerprint("1"))],
        {"A: unchanged": _remote("A: unchanged", _fingerprint("1").idempotency_key)},
        project="staging",
        image=IMAGE,
    )

    assert "No flow would be registered." in plan_markdown(plan, {})
