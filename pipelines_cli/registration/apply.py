"""Applying a plan: new and changed flows are registered, the rest left as they are.

Each flow is one unit of work with its own retries (see `PrefectApi.call`), so a flow
that needed three attempts is still counted once; a flow that fails does not stop the
others. Registrations run on a few threads: the server, not this process, is the
bottleneck.
"""

import enum
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Callable

from pipelines_cli.registration.client import PrefectApi
from pipelines_cli.registration.exceptions import PrefectApiError
from pipelines_cli.registration.plan import Plan, PlannedFlow, Status


class Outcome(str, enum.Enum):
    """What registration did with a flow."""

    REGISTERED = "registered"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class FlowResult:
    """The end of one flow's registration.

    Attributes:
        name: the flow.
        status: its status in the plan.
        outcome: what happened.
        version: the version the project now runs, when known.
        attempts: requests sent to register it (0 when skipped).
        detail: why, or the error.
    """

    name: str
    status: Status
    outcome: Outcome
    version: int | None
    attempts: int
    detail: str


def apply_plan(
    api: PrefectApi,
    plan: Plan,
    *,
    activate_schedules: bool,
    workers: int = 4,
    on_result: Callable[[FlowResult], None] | None = None,
) -> list[FlowResult]:
    """Registers the new and changed flows of a plan.

    Args:
        api: the Prefect API.
        plan: the plan, from `compare`.
        activate_schedules: turn the schedules of registered flows on (production)
            or leave them off (staging).
        workers: registrations sent at the same time.
        on_result: called with each result as it arrives (progress output).

    Returns:
        One result per flow of the code (gone flows are not touched), by name.
    """
    results = []
    for planned in plan.with_status(Status.UNCHANGED, Status.INVALID):
        result = _skipped(planned)
        results.append(result)
        if on_result:
            on_result(result)

    pending = plan.with_status(Status.NEW, Status.CHANGED)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [
            pool.submit(_register, api, plan.project, planned, activate_schedules)
            for planned in pending
        ]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if on_result:
                on_result(result)
    return sorted(results, key=lambda result: result.name)


def _skipped(planned: PlannedFlow) -> FlowResult:
    if planned.status is Status.INVALID:
        return FlowResult(
            planned.name, planned.status, Outcome.FAILED, None, 0, planned.reason
        )
    version = planned.remote.version if planned.remote else None
    return FlowResult(
        planned.name, planned.status, Outcome.UNCHANGED, version, 0, planned.reason
    )


def _register(
    api: PrefectApi, project: str, planned: PlannedFlow, activate_schedule: bool
) -> FlowResult:
    local = planned.local
    assert (
        local is not None and local.flow is not None and local.fingerprint is not None
    )
    try:
        registration = api.register(
            local.flow,
            project=project,
            idempotency_key=local.fingerprint.idempotency_key,
            activate_schedule=activate_schedule,
        )
    except PrefectApiError as exc:
        return FlowResult(
            planned.name, planned.status, Outcome.FAILED, None, exc.attempts, str(exc)
        )
    if planned.remote is not None and registration.flow_id == planned.remote.id:
        # Another registration of the same code got there first (e.g. a parallel job).
        return FlowResult(
            planned.name,
            planned.status,
            Outcome.UNCHANGED,
            registration.version,
            registration.attempts,
            "the server already held this fingerprint",
        )
    return FlowResult(
        planned.name,
        planned.status,
        Outcome.REGISTERED,
        registration.version,
        registration.attempts,
        planned.reason,
    )
