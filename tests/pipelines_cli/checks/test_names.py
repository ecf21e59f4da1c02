"""The flow-name rules on facts built by hand: format, SIGLA and uniqueness."""

from pathlib import Path

import pytest

from pipelines_cli.checks import names
from pipelines_cli.checks.facts import FlowFacts, OrgaoFacts, RepositoryFacts

TUTORIAL_NAME = "EMD: escritorio - Geolocalizacao de chamados 1746"


def make_flow(
    name: str, projeto: str = "geolocator", attribute: str = "a_flow"
) -> FlowFacts:
    """Facts of one flow of rj_escritorio (SIGLA EMD), owned and reachable."""
    return FlowFacts(
        name=name,
        module=f"pipelines.rj_escritorio.{projeto}.flows",
        attribute=attribute,
        orgao="rj_escritorio",
        path=f"pipelines/rj_escritorio/{projeto}/flows.py",
        line=7,
        is_reachable=True,
        has_owners_attribute=True,
        code_owners=["paty"],
        run_config_labels=None,
        run_config_line=None,
        parameters=[],
        clocks=[],
        collisions=[],
    )


def run_rules(*flows: FlowFacts, sigla: str | None = "EMD") -> list[str]:
    """The formatted problems of the name rules on these flows."""
    facts = RepositoryFacts(
        root="/repo", orgaos=[OrgaoFacts("rj_escritorio", sigla)], flows=list(flows)
    )
    return [problem.format() for problem in names.check(facts, Path("/repo"))]


def test_names_tutorial_example_in_geolocator_folder_passes() -> None:
    assert run_rules(make_flow(TUTORIAL_NAME, projeto="geolocator")) == []
    match = names.FLOW_NAME.match(TUTORIAL_NAME)
    assert match is not None
    assert (match["sigla"], match["projeto"]) == ("EMD", "escritorio")


@pytest.mark.parametrize(
    "name",
    [
        "EMD: sistema de GPS - Captura a cada minuto",
        "EMD: escritorio - Captura - parte 2",
        "EMD: 1746 - Chamados",
    ],
)
def test_names_free_middle_part_passes(name: str) -> None:
    assert run_rules(make_flow(name)) == []


@pytest.mark.parametrize(
    "name",
    [
        "EMD escritorio - Captura",
        "emd: escritorio - Captura",
        "EMD: escritorio-Captura",
        "EMD:  escritorio - Captura",
        "EMD: escritorio - ",
        " EMD: escritorio - Captura",
        "EMD: - Captura",
    ],
)
def test_names_bad_format_is_reported_with_an_example(name: str) -> None:
    [problem] = run_rules(make_flow(name, projeto="exemplo"))
    assert problem.startswith(
        "pipelines/rj_escritorio/exemplo/flows.py:7: [flow-name] "
    )
    assert repr(name) in problem
    assert "'EMD: exemplo - <o que o flow faz>'" in problem


def test_names_sigla_of_another_orgao_is_reported() -> None:
    [problem] = run_rules(make_flow("SMTR: escritorio - Captura"))
    assert "[flow-sigla]" in problem and "start the name with 'EMD: '" in problem


def test_names_orgao_with_malformed_sigla_is_reported() -> None:
    [problem] = run_rules(sigla="emd")
    assert problem.startswith("pipelines/rj_escritorio/constants.py: [flow-sigla] ")
    assert "'emd'" in problem


def test_names_duplicate_is_reported_once_at_the_second_flow() -> None:
    first = make_flow("EMD: a - b", projeto="um", attribute="um_flow")
    second = make_flow("EMD: a - b", projeto="dois", attribute="dois_flow")
    [problem] = run_rules(first, second)
    assert problem.startswith(
        "pipelines/rj_escritorio/dois/flows.py:7: [flow-name-unique] "
    )
    assert "pipelines/rj_escritorio/um/flows.py:7" in problem
