"""Rules on schedule clocks: time zone, parameters, and clocks firing together.

- `clock-timezone`: a clock's `start_date` fixes it in Rio's time. A naive date (or
  none at all) runs in UTC, three hours off; a pytz zone passed as `tzinfo` carries
  the zone's first historical offset, -03:06, not -03:00.
- `clock-parameters`: every key of `parameter_defaults` is a parameter of the flow,
  and every required parameter (one without a default) gets a value from each clock.
- `clock-collision`: two clocks of one flow never fire at the same instant with
  different runs; the server keeps one run per flow and start time.
"""

import difflib
from datetime import datetime
from pathlib import Path

from pipelines_cli.checks.facts import ClockFacts, FlowFacts, RepositoryFacts
from pipelines_cli.checks.problems import Problem

RIO_TIMEZONE = "America/Sao_Paulo"
GOOD_START = f'pendulum.datetime(2021, 1, 1, 4, 0, tz="{RIO_TIMEZONE}")'


def check(facts: RepositoryFacts, root: Path) -> list[Problem]:
    """Runs the rules `clock-timezone`, `clock-parameters` and `clock-collision`."""
    del root
    problems = []
    for flow in facts.flows:
        for clock in flow.clocks:
            problems.extend(_check_timezone(flow, clock))
            problems.extend(_check_parameters(flow, clock))
        problems.extend(_check_collisions(flow))
    return problems


def _where(flow: FlowFacts, clock: ClockFacts) -> tuple[str, int | None]:
    return clock.path or flow.path, clock.line or flow.line


def _good_start(clock: ClockFacts) -> str:
    """The clock's own wall time, written as a pendulum date in Rio's time."""
    if clock.start_date is None:
        return GOOD_START
    wall = datetime.fromisoformat(clock.start_date)
    return (
        f"pendulum.datetime({wall.year}, {wall.month}, {wall.day}, {wall.hour}, "
        f'{wall.minute}, tz="{RIO_TIMEZONE}")'
    )


def _check_timezone(flow: FlowFacts, clock: ClockFacts) -> list[Problem]:
    subject = f"{clock.kind} #{clock.index} of flow {flow.name!r}"
    if clock.timezone_issue == "naive":
        message = (
            f"{subject} starts at {clock.start_date}, a date without time zone, so "
            f"Prefect reads it as UTC (3 hours off in Rio); use start_date={_good_start(clock)}."
        )
    elif clock.timezone_issue == "pytz-lmt":
        message = (
            f"{subject} starts at {clock.start_date}: a pytz zone passed as tzinfo "
            f"gives its first historical offset ({clock.utc_offset}), not -03:00; use "
            f"start_date={_good_start(clock)} (or pytz's zone.localize(...))."
        )
    elif clock.timezone_issue == "missing" and clock.kind == "CronClock":
        message = (
            f"{subject} has no start_date, so its {clock.description} is read in UTC "
            f"(3 hours off in Rio); add start_date={GOOD_START}."
        )
    elif clock.timezone_issue == "missing":
        message = (
            f"{subject} has no start_date, so it counts {clock.description} from "
            f"2019-01-01 00:00 UTC (21:00 in Rio); add start_date={GOOD_START}."
        )
    else:
        return []
    return [Problem(*_where(flow, clock), "clock-timezone", message)]


def _check_parameters(flow: FlowFacts, clock: ClockFacts) -> list[Problem]:
    names = [parameter.name for parameter in flow.parameters]
    subject = f"clock #{clock.index} of flow {flow.name!r}"
    problems = []
    for key in clock.parameter_keys:
        if key in names:
            continue
        close = difflib.get_close_matches(key, names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        problems.append(
            Problem(
                *_where(flow, clock),
                "clock-parameters",
                f"{subject} sets parameter_defaults[{key!r}], but the flow has no "
                f"parameter {key!r} (its parameters: {names!r}).{hint} Fix the key, or "
                f"add Parameter({key!r}) to the flow and use it.",
            )
        )
    for parameter in flow.parameters:
        if parameter.is_required and parameter.name not in clock.parameter_keys:
            problems.append(
                Problem(
                    *_where(flow, clock),
                    "clock-parameters",
                    f"{subject} gives no value to {parameter.name!r}, a required "
                    "parameter of the flow (no default), so every scheduled run would "
                    f"fail; add {parameter.name!r} to its parameter_defaults or give "
                    "the Parameter a default.",
                )
            )
    return problems


def _check_collisions(flow: FlowFacts) -> list[Problem]:
    by_index = {clock.index: clock for clock in flow.clocks}
    problems = []
    for collision in flow.collisions:
        first, second = by_index[collision.first], by_index[collision.second]
        first_where = f" (line {first.line})" if first.line else ""
        problems.append(
            Problem(
                *_where(flow, second),
                "clock-collision",
                f"clocks #{first.index}{first_where} and #{second.index} of flow "
                f"{flow.name!r} both fire at {collision.instant} with different "
                "parameters or labels; the server keeps only one run per instant, so "
                "one of them is lost; move one clock's start by a few minutes.",
            )
        )
    return problems
