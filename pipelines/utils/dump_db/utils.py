"""Helpers for flows copied from a template: parameter names checked, defaults set."""

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from prefect import Flow

from pipelines.utils.exceptions import InvalidParameterError


def check_parameter_names(flow: Flow, names: Iterable[str], where: str) -> None:
    """Refuses names that are not parameters of `flow`: a typo is an error.

    Args:
        flow: the flow whose parameters are accepted.
        names: the names given.
        where: what gave them, for the message (e.g. `"table 'chamado'"`).

    Raises:
        InvalidParameterError: some name is not a parameter; the message suggests the
            closest names and lists every accepted one.
    """
    accepted = sorted(parameter.name for parameter in flow.parameters())
    unknown = sorted(set(names) - set(accepted))
    if not unknown:
        return
    hints = [
        f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name)
        for name in unknown
        for close in [difflib.get_close_matches(name, accepted, n=1, cutoff=0.6)]
    ]
    raise InvalidParameterError(
        f"{where} sets {', '.join(hints)}, which flow {flow.name!r} does not have as "
        f"parameter(s); its parameters are {accepted!r}. Fix the key."
    )


def set_default_parameters(flow: Flow, default_parameters: Mapping[str, Any]) -> Flow:
    """Sets new defaults on a flow's parameters (on a copy of a template, not on it).

    A parameter given a default stops being required, so the flow can run and be
    scheduled without it.

    Args:
        flow: the flow, usually `deepcopy(template)`.
        default_parameters: parameter names and their new defaults.

    Returns:
        The same flow, for chaining.

    Raises:
        InvalidParameterError: a key is not a parameter of the flow.
    """
    check_parameter_names(
        flow, default_parameters, f"set_default_parameters for {flow.name!r}"
    )
    for parameter in flow.parameters():
        if parameter.name in default_parameters:
            parameter.default = default_parameters[parameter.name]
            parameter.required = False
    return flow
