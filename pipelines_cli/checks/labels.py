"""Rule `labels`: every label of a run config or a clock is an agent label constant.

The agents are declared once, in `pipelines/constants.py`, as
`RJ_<ORGAO>_AGENT_LABEL` and `RJ_<ORGAO>_DEV_AGENT_LABEL`. A label typed by hand,
or misspelt, matches no agent and the run waits forever; a clock without labels does
not say which agent runs it.
"""

import difflib
from pathlib import Path

from pipelines_cli.checks.facts import FlowFacts, RepositoryFacts
from pipelines_cli.checks.problems import Problem

CONSTANTS_PATH = "pipelines/constants.py"


def check(facts: RepositoryFacts, root: Path) -> list[Problem]:
    """Runs the rule `labels`."""
    del root
    problems = []
    for flow in facts.flows:
        run_config_line = flow.run_config_line or flow.line
        for label in flow.run_config_labels or []:
            if label not in facts.agent_labels:
                problems.append(
                    Problem(
                        flow.path,
                        run_config_line,
                        "labels",
                        f"flow {flow.name!r}: run config label {label!r} "
                        f"{_unknown_label_advice(label, flow, facts)}",
                    )
                )
        for clock in flow.clocks:
            path, line = clock.path or flow.path, clock.line or flow.line
            if not clock.labels:
                problems.append(
                    Problem(
                        path,
                        line,
                        "labels",
                        f"clock #{clock.index} of flow {flow.name!r} has no labels, so "
                        "no agent of the office picks its runs; add labels=["
                        f"constants.{_suggested_constant(flow, facts)}.value].",
                    )
                )
            for label in clock.labels:
                if label not in facts.agent_labels:
                    problems.append(
                        Problem(
                            path,
                            line,
                            "labels",
                            f"clock #{clock.index} of flow {flow.name!r}: label "
                            f"{label!r} {_unknown_label_advice(label, flow, facts)}",
                        )
                    )
    return problems


def _unknown_label_advice(label: str, flow: FlowFacts, facts: RepositoryFacts) -> str:
    close = difflib.get_close_matches(label, list(facts.agent_labels), n=1)
    suggestion = (
        facts.agent_labels[close[0]] if close else _suggested_constant(flow, facts)
    )
    return (
        f"is not an agent label constant of {CONSTANTS_PATH} (known: "
        f"{sorted(facts.agent_labels)!r}); write constants.{suggestion}.value."
    )


def _suggested_constant(flow: FlowFacts, facts: RepositoryFacts) -> str:
    """The orgao's dev agent constant when it exists, else a placeholder."""
    wanted = f"{flow.orgao.upper()}_DEV_AGENT_LABEL"
    return (
        wanted if wanted in facts.agent_labels.values() else "<ORGAO>_DEV_AGENT_LABEL"
    )
