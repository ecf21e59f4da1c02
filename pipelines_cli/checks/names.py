"""Rules on flow names: the office's format, the orgao's SIGLA, one name per flow.

A flow name reads ``"<SIGLA>: <projeto> - <o que faz>"``. The SIGLA is the one its
orgao declares as `ORGAO_SIGLA` in `pipelines/<orgao>/constants.py`; the middle part
is free text naming the system or project (the tutorial's
``"EMD: escritorio - Geolocalizacao de chamados 1746"`` lives in `geolocator/`).
"""

import re
from collections import defaultdict
from pathlib import Path

from pipelines_cli.checks.facts import FlowFacts, RepositoryFacts
from pipelines_cli.checks.problems import Problem

SIGLA_PATTERN = r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*"
FLOW_NAME = re.compile(
    rf"^(?P<sigla>{SIGLA_PATTERN}): (?P<projeto>\S(?:.*?\S)?) - (?P<descricao>\S(?:.*\S)?)$"
)
SIGLA = re.compile(rf"^{SIGLA_PATTERN}$")


def check(facts: RepositoryFacts, root: Path) -> list[Problem]:
    """Runs the rules `flow-name`, `flow-sigla` and `flow-name-unique`."""
    del root
    problems = _check_siglas(facts)
    for flow in facts.flows:
        problems.extend(_check_name(flow, facts.sigla_of(flow.orgao)))
    problems.extend(_check_unique(facts.flows))
    return problems


def _check_siglas(facts: RepositoryFacts) -> list[Problem]:
    problems = []
    by_sigla: dict[str, list[str]] = defaultdict(list)
    for orgao in facts.orgaos:
        constants_path = f"pipelines/{orgao.slug}/constants.py"
        if orgao.sigla is None:
            problems.append(
                Problem(
                    constants_path,
                    None,
                    "flow-sigla",
                    f"orgao {orgao.slug!r} declares no SIGLA: add ORGAO_SIGLA = "
                    f"'<SIGLA>' (its acronym, e.g. 'EMD') to the `constants` Enum of "
                    f"{constants_path}; every flow name of the orgao starts with it.",
                )
            )
        elif not SIGLA.match(orgao.sigla):
            problems.append(
                Problem(
                    constants_path,
                    None,
                    "flow-sigla",
                    f"orgao {orgao.slug!r} declares ORGAO_SIGLA = {orgao.sigla!r}; a "
                    "SIGLA is upper-case letters and digits, e.g. 'EMD' or 'SMTR'.",
                )
            )
        else:
            by_sigla[orgao.sigla].append(orgao.slug)
    for sigla, orgaos in sorted(by_sigla.items()):
        for orgao in orgaos[1:]:
            problems.append(
                Problem(
                    f"pipelines/{orgao}/constants.py",
                    None,
                    "flow-sigla",
                    f"orgao {orgao!r} declares ORGAO_SIGLA = {sigla!r}, already the "
                    f"SIGLA of {orgaos[0]!r}; each orgao has its own SIGLA.",
                )
            )
    return problems


def _check_name(flow: FlowFacts, sigla: str | None) -> list[Problem]:
    example_sigla = sigla or "<SIGLA>"
    example = f"{example_sigla}: {flow.project or flow.orgao} - <o que o flow faz>"
    match = FLOW_NAME.match(flow.name)
    if match is None:
        return [
            Problem(
                flow.path,
                flow.line,
                "flow-name",
                f"flow name {flow.name!r} ({flow.attribute}) does not follow "
                f"'<SIGLA>: <projeto> - <descrição>'; rename it, e.g. {example!r}.",
            )
        ]
    if sigla is not None and match["sigla"] != sigla:
        return [
            Problem(
                flow.path,
                flow.line,
                "flow-sigla",
                f"flow name {flow.name!r} starts with SIGLA {match['sigla']!r}, but "
                f"its orgao {flow.orgao!r} declares ORGAO_SIGLA = {sigla!r} in "
                f"pipelines/{flow.orgao}/constants.py; start the name with '{sigla}: '.",
            )
        ]
    return []


def _check_unique(flows: list[FlowFacts]) -> list[Problem]:
    by_name: dict[str, list[FlowFacts]] = defaultdict(list)
    for flow in flows:
        by_name[flow.name].append(flow)
    problems = []
    for name, same in sorted(by_name.items()):
        first = same[0]
        for other in same[1:]:
            where = f"{first.path}:{first.line}" if first.line else first.path
            problems.append(
                Problem(
                    other.path,
                    other.line,
                    "flow-name-unique",
                    f"flow name {name!r} ({other.module}.{other.attribute}) is also "
                    f"the name of {first.module}.{first.attribute} ({where}); the "
                    "server would keep only one of them: rename one.",
                )
            )
    return problems
