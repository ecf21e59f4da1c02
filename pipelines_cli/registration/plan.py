"""The registration plan: each flow of the code set against what a Prefect project holds.

A flow is *new* (the project has no flow of its name), *changed* (its fingerprint
differs from the one recorded at its last registration; the plan names what changed),
*unchanged*, or *invalid* (it cannot be prepared for the cloud). Flows the project
holds that the code no longer defines are *gone*.
"""

import enum
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from prefect import Flow as PrefectFlow

from pipelines_cli.registration.client import RemoteFlow
from pipelines_cli.registration.deployment import prepare_flow
from pipelines_cli.registration.exceptions import (
    FingerprintError,
    RunConfigError,
    UnschedulableFlowError,
)
from pipelines_cli.registration.fingerprint import Change, Fingerprint, SourceIndex

PLAN_MARKER = "<!-- pipelines-registration-plan -->"


class Status(str, enum.Enum):
    """Where a flow stands against the project."""

    NEW = "new"
    CHANGED = "changed"
    INVALID = "invalid"
    UNCHANGED = "unchanged"
    GONE = "gone"


@dataclass
class LocalFlow:
    """A flow of the code, prepared for registration and fingerprinted.

    Attributes:
        name: the flow's name.
        module: the module that defines it.
        owners: its code owners (keys of `pipelines/owners.toml`).
        flow: the prepared copy (run config, storage); None when invalid.
        fingerprint: None when invalid.
        error: why the flow cannot be registered, if it cannot.
    """

    name: str
    module: str
    owners: tuple[str, ...]
    flow: PrefectFlow | None = None
    fingerprint: Fingerprint | None = None
    error: str | None = None


@dataclass
class PlannedFlow:
    """One line of the plan."""

    name: str
    status: Status
    local: LocalFlow | None = None
    remote: RemoteFlow | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def owners(self) -> tuple[str, ...]:
        """The flow's code owners (none for a flow gone from the code)."""
        return self.local.owners if self.local else ()

    @property
    def reason(self) -> str:
        """Why the flow has its status, in a few words."""
        if self.status is Status.NEW:
            return "not in the project yet"
        if self.status is Status.CHANGED:
            return "; ".join(str(change) for change in self.changes)
        if self.status is Status.INVALID:
            return str(self.local.error if self.local else "")
        if self.status is Status.GONE:
            return (
                f"version {self.remote.version} is registered but no flow has this name"
            )
        return "nothing it runs changed"


@dataclass
class Plan:
    """Every flow of the code, and every flow gone from it, against one project."""

    project: str
    image: str
    flows: list[PlannedFlow]

    def with_status(self, *statuses: Status) -> list[PlannedFlow]:
        """The planned flows of the given statuses, in plan order."""
        return [planned for planned in self.flows if planned.status in statuses]

    def counts(self) -> dict[Status, int]:
        """How many flows have each status."""
        return {status: len(self.with_status(status)) for status in Status}

    def summary(self) -> str:
        """One sentence: the counts per status."""
        counts = self.counts()
        parts = [f"{counts[status]} {status.value}" for status in Status]
        return f"Plan for Prefect project {self.project!r}: {', '.join(parts)}."


def prepare_local_flows(
    entries: Iterable[Any], index: SourceIndex, image: str
) -> list[LocalFlow]:
    """Prepares and fingerprints every flow of the registry.

    A flow that cannot be prepared is kept, with its error, so that the plan shows it
    next to the others instead of hiding them.

    Args:
        entries: `RegisteredFlow`s of `pipelines.flows`.
        index: the package's sources.
        image: the full image reference the flows will run with.

    Returns:
        One `LocalFlow` per entry, in the registry's order.
    """
    local_flows = []
    for entry in entries:
        local = LocalFlow(entry.name, entry.module, tuple(entry.code_owners))
        try:
            local.flow = prepare_flow(entry.flow, entry.module, image)
            local.fingerprint = index.fingerprint(local.flow.serialize(), entry.module)
        except (RunConfigError, UnschedulableFlowError, FingerprintError) as exc:
            local.flow, local.error = None, str(exc)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # user code
            local.flow = None
            local.error = (
                f"Flow {entry.name!r} ({entry.module}) cannot be serialized: "
                f"{type(exc).__name__}: {exc}"
            )
        local_flows.append(local)
    return local_flows


def compare(
    local_flows: Iterable[LocalFlow],
    remote_flows: Mapping[str, RemoteFlow],
    *,
    project: str,
    image: str,
) -> Plan:
    """Sets the code's flows against the project's.

    Args:
        local_flows: from `prepare_local_flows`.
        remote_flows: the project's flows by name, from `PrefectApi.project_flows`.
        project: the project's name.
        image: the image reference the flows would be registered with.

    Returns:
        The plan: new, changed, invalid and unchanged flows by name, then gone ones.
    """
    planned = []
    names = set()
    for local in local_flows:
        names.add(local.name)
        remote = remote_flows.get(local.name)
        if local.fingerprint is None:
            planned.append(PlannedFlow(local.name, Status.INVALID, local, remote))
        elif remote is None:
            planned.append(PlannedFlow(local.name, Status.NEW, local))
        elif local.fingerprint.matches(remote.idempotency_key):
            planned.append(PlannedFlow(local.name, Status.UNCHANGED, local, remote))
        else:
            changes = local.fingerprint.changes_since(remote.idempotency_key)
            planned.append(
                PlannedFlow(local.name, Status.CHANGED, local, remote, changes)
            )
    for name in sorted(set(remote_flows) - names):
        planned.append(PlannedFlow(name, Status.GONE, remote=remote_flows[name]))
    order = list(Status)
    planned.sort(key=lambda item: (order.index(item.status), item.name))
    return Plan(project, image, planned)


def plan_markdown(plan: Plan, owner_handles: Mapping[str, str]) -> str:
    """The plan as a pull-request comment: affected flows, their owners and why.

    Args:
        plan: the plan.
        owner_handles: GitHub logins by owner key, to mention the owners.

    Returns:
        Markdown, starting with a marker that finds the comment again.
    """
    counts = plan.counts()
    lines = [
        PLAN_MARKER,
        f"### Registration plan for Prefect project `{plan.project}`",
        "",
        ", ".join(f"**{counts[status]}** {status.value}" for status in Status)
        + f" (image `{plan.image}`).",
        "",
    ]
    affected = plan.with_status(Status.NEW, Status.CHANGED, Status.INVALID, Status.GONE)
    if affected:
        lines += ["| flow | status | owners | why |", "|---|---|---|---|"]
        for planned in affected:
            owners = ", ".join(
                f"@{owner_handles[key]}" if owner_handles.get(key) else key
                for key in planned.owners
            )
            lines.append(
                f"| {_cell(planned.name)} | {planned.status.value} | {_cell(owners or '-')} "
                f"| {_cell(planned.reason)} |"
            )
    else:
        lines.append("No flow would be registered.")
    unchanged = plan.with_status(Status.UNCHANGED)
    if unchanged:
        lines += [
            "",
            f"<details><summary>{len(unchanged)} unchanged flows</summary>",
            "",
            *(f"- {_cell(planned.name)}" for planned in unchanged),
            "",
            "</details>",
        ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
