"""What `pipelines check` knows about a repository's flows, as plain data.

The collector (`collect.py`) imports the flows of one repository in a child process
and writes these facts as JSON; the rules read them, together with the file tree,
and never import flows themselves. That is what lets `pipelines check --root DIR`
check any copy of the repository, not only the installed one.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ParameterFacts:
    """A parameter of a flow."""

    name: str
    is_required: bool


@dataclass(frozen=True)
class ClockFacts:
    """A clock of a flow's schedule and where it was built.

    Attributes:
        index: position in `schedule.clocks`, counted from 1.
        kind: the clock's class, e.g. "IntervalClock".
        description: what makes it fire, e.g. "every 1 day" or "cron '0 4 * * *'".
        path: the file that built the clock, relative to the repository root.
        line: the line of that file where the clock was built.
        labels: the agent labels of its runs.
        parameter_keys: the keys of its `parameter_defaults`.
        start_date: the `start_date` as written, ISO 8601, or None if not given.
        timezone_issue: "naive", "pytz-lmt" or "missing" when the start date does
            not fix the clock in Rio's time; None when it does.
        utc_offset: the offset the start date really has, e.g. "-03:06".
    """

    index: int
    kind: str
    description: str
    path: str | None
    line: int | None
    labels: list[str]
    parameter_keys: list[str]
    start_date: str | None
    timezone_issue: str | None
    utc_offset: str | None


@dataclass(frozen=True)
class CollisionFacts:
    """Two clocks of one flow firing at the same instant with different runs."""

    instant: str
    first: int
    second: int


@dataclass(frozen=True)
class FlowFacts:
    """A flow found by the registry, with what the rules need to judge it."""

    name: str
    module: str
    attribute: str
    orgao: str
    path: str
    line: int | None
    is_reachable: bool
    has_owners_attribute: bool
    code_owners: list[str]
    run_config_labels: list[str] | None
    run_config_line: int | None
    parameters: list[ParameterFacts]
    clocks: list[ClockFacts]
    collisions: list[CollisionFacts]

    @property
    def project(self) -> str | None:
        """The project folder of the flow, None for an orgao-level `flows.py`."""
        parts = Path(self.path).parts  # pipelines/<orgao>/<projeto>/flows.py
        return parts[2] if len(parts) == 4 else None


@dataclass(frozen=True)
class OrgaoFacts:
    """An orgao package and the SIGLA it declares."""

    slug: str
    sigla: str | None


@dataclass(frozen=True)
class ImportFailure:
    """The flows could not be imported: the error, placed in user code."""

    path: str
    line: int | None
    rule: str
    message: str


@dataclass
class RepositoryFacts:
    """Everything the collector learned about one repository."""

    root: str
    orgaos: list[OrgaoFacts] = field(default_factory=list)
    agent_labels: dict[str, str] = field(default_factory=dict)
    flows: list[FlowFacts] = field(default_factory=list)
    import_failure: ImportFailure | None = None

    def to_json(self) -> str:
        """The facts as a JSON document."""
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "RepositoryFacts":
        """Reads facts written by `to_json`."""
        data: dict[str, Any] = json.loads(text)
        failure = data.get("import_failure")
        return cls(
            root=data["root"],
            orgaos=[OrgaoFacts(**item) for item in data["orgaos"]],
            agent_labels=dict(data["agent_labels"]),
            flows=[_flow_from_dict(item) for item in data["flows"]],
            import_failure=ImportFailure(**failure) if failure else None,
        )

    def sigla_of(self, orgao: str) -> str | None:
        """The SIGLA an orgao declares, None if it declares none."""
        for item in self.orgaos:
            if item.slug == orgao:
                return item.sigla
        return None


def _flow_from_dict(data: dict[str, Any]) -> FlowFacts:
    return FlowFacts(
        **{
            **data,
            "parameters": [ParameterFacts(**item) for item in data["parameters"]],
            "clocks": [ClockFacts(**item) for item in data["clocks"]],
            "collisions": [CollisionFacts(**item) for item in data["collisions"]],
        }
    )
