"""Running a registered flow on this machine, with parameters from the command line."""

import difflib
import json
from dataclasses import dataclass
from typing import Any

from prefect.engine.state import State

from pipelines.flows import RegisteredFlow
from pipelines.utils.reports import DataReport
from pipelines_cli.errors import CliError


@dataclass
class LocalRunResult:
    """The final state of a local run and the data reports of its tasks."""

    state: State
    reports: list[DataReport]

    @property
    def is_successful(self) -> bool:
        """Whether the flow run ended in a successful state."""
        return self.state.is_successful()


def find_flow(flows: dict[str, RegisteredFlow], name: str) -> RegisteredFlow:
    """Looks a flow up by its exact name.

    Raises:
        CliError: no flow has that name; the message lists the closest names.
    """
    if name in flows:
        return flows[name]
    close = difflib.get_close_matches(name, list(flows), n=3, cutoff=0.4)
    hint = (
        f" Did you mean {', '.join(repr(match) for match in close)}?" if close else ""
    )
    raise CliError(
        f"No flow is named {name!r}.{hint} Run 'pipelines list' to see every flow."
    )


def parse_parameters(entry: RegisteredFlow, pairs: list[str]) -> dict[str, Any]:
    """Turns `key=value` strings into the flow's parameters.

    Values are read as JSON when they parse (`true`, `3`, `["a"]`, `null`), and as
    plain strings otherwise.

    Raises:
        CliError: a pair has no `=`, or names a parameter the flow does not have.
    """
    accepted = sorted(parameter.name for parameter in entry.flow.parameters())
    parameters: dict[str, Any] = {}
    for pair in pairs:
        key, separator, raw = pair.partition("=")
        key = key.strip()
        if not separator or not key:
            raise CliError(f"Parameter {pair!r} is not of the form key=value.")
        if key not in accepted:
            close = difflib.get_close_matches(key, accepted, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise CliError(
                f"Flow {entry.name!r} has no parameter {key!r}.{hint} "
                f"Its parameters are {accepted!r}."
            )
        try:
            parameters[key] = json.loads(raw)
        except json.JSONDecodeError:
            parameters[key] = raw
    return parameters


def run_flow_locally(
    entry: RegisteredFlow, parameters: dict[str, Any]
) -> LocalRunResult:
    """Runs a flow once, now, in this process, ignoring its schedule.

    Args:
        entry: the flow, from the registry.
        parameters: values for the flow's parameters; the rest keep their defaults.

    Returns:
        The final state and the `DataReport`s its tasks returned.
    """
    state = entry.flow.run(parameters=parameters, run_on_schedule=False)
    reports: list[DataReport] = []
    task_states = state.result if isinstance(state.result, dict) else {}
    for task_state in task_states.values():
        result = task_state.result
        items = result if isinstance(result, (list, tuple)) else [result]
        reports.extend(item for item in items if isinstance(item, DataReport))
    return LocalRunResult(state=state, reports=reports)
