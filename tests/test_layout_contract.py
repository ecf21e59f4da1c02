"""The repository's layout contract, checked on the repository itself.

Every project folder has its six files, every flow imports and is reachable from
the registry, flow names follow the office's format and are unique, each flow has
known code owners, and every label is an agent label constant. The facts come from
`pipelines check`'s own machinery (a child process imports this copy's flows).
"""

from pathlib import Path

import pytest

from pipelines_cli.checks.runner import CheckReport, run_checks
from pipelines_cli.checks.sources import (
    PACKAGE_FILES,
    list_orgao_folders,
    list_project_folders,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
TUTORIAL_FLOW = "EMD: escritorio - Geolocalizacao de chamados 1746"


@pytest.fixture(scope="module")
def report() -> CheckReport:
    """Every check, run once on this repository."""
    return run_checks(REPO_ROOT)


def problems_of(report: CheckReport, *rules: str) -> list[str]:
    """The formatted problems of the given rules."""
    return [problem.format() for problem in report.problems if problem.rule in rules]


def test_layout_every_orgao_and_project_folder_has_six_files() -> None:
    folders = []
    for orgao_dir in list_orgao_folders(REPO_ROOT / "pipelines"):
        folders.append(orgao_dir)
        folders.extend(list_project_folders(orgao_dir))
    assert folders, "no orgao folder found under pipelines/"
    missing = {
        folder.relative_to(REPO_ROOT).as_posix(): [
            name for name in PACKAGE_FILES if not (folder / name).is_file()
        ]
        for folder in folders
    }
    assert {folder: names for folder, names in missing.items() if names} == {}


def test_layout_every_flow_imports(report: CheckReport) -> None:
    assert report.facts.import_failure is None, report.facts.import_failure
    assert report.facts.flows, "the registry found no flow"


def test_layout_every_flow_and_orgao_is_reachable(report: CheckReport) -> None:
    assert problems_of(report, "layout-reachable") == []
    assert all(flow.is_reachable for flow in report.facts.flows)


def test_layout_flow_names_follow_the_format_and_are_unique(
    report: CheckReport,
) -> None:
    assert problems_of(report, "flow-name", "flow-sigla", "flow-name-unique") == []
    names = [flow.name for flow in report.facts.flows]
    assert len(names) == len(set(names))


def test_layout_tutorial_flow_keeps_its_name_in_geolocator(report: CheckReport) -> None:
    by_name = {flow.name: flow for flow in report.facts.flows}
    assert by_name[TUTORIAL_FLOW].path == "pipelines/rj_escritorio/geolocator/flows.py"


def test_layout_each_flow_has_known_owners(report: CheckReport) -> None:
    assert problems_of(report, "owners") == []
    assert all(flow.code_owners for flow in report.facts.flows)


def test_layout_every_label_is_an_agent_label_constant(report: CheckReport) -> None:
    assert problems_of(report, "labels") == []
    for flow in report.facts.flows:
        for label in flow.run_config_labels or []:
            assert label in report.facts.agent_labels, (flow.name, label)
        for clock in flow.clocks:
            assert clock.labels and set(clock.labels) <= set(report.facts.agent_labels)


def test_layout_schedules_are_in_rio_time_with_valid_parameters(
    report: CheckReport,
) -> None:
    assert (
        problems_of(report, "clock-timezone", "clock-parameters", "clock-collision")
        == []
    )


def test_layout_whole_check_is_clean(report: CheckReport) -> None:
    assert [problem.format() for problem in report.problems] == []
