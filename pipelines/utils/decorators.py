"""The office's `Flow`: Prefect's flow plus the code owners who answer for it.

Every flow of the repository is built with this class, as in the tutorial:
``with Flow("EMD: escritorio - ...", code_owners=["paty"]) as flow:``.
"""

import sys
from typing import Any, Iterable

from prefect import Flow as PrefectFlow
from prefect import Task

from pipelines.utils.exceptions import MissingOwnersError, UnknownOwnerError
from pipelines.utils.owners import OWNERS_FILE, load_owners
from pipelines.utils.state_handlers import (
    mask_secrets_in_task_state,
    notify_code_owners_on_failure,
)


class Flow(PrefectFlow):
    """A Prefect flow that names its code owners and tells them when it fails.

    Args:
        name: the flow name, `"<SIGLA>: <projeto> - <o que faz>"`.
        *args: passed on to `prefect.Flow`.
        code_owners: keys of `pipelines/owners.toml`; at least one.
        **kwargs: passed on to `prefect.Flow` (`state_handlers` are kept and run
            after the owners' notification handler).

    Raises:
        MissingOwnersError: no owner was given.
        UnknownOwnerError: an owner is not in the owners registry.
    """

    def __init__(
        self,
        name: str,
        *args: Any,
        code_owners: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.code_owners = validate_code_owners(name, code_owners)
        # NOTE: the module that builds the flow; the registry uses it to tell a flow
        # defined in a module from one it only imports.
        self.defined_in = sys._getframe(1).f_globals.get(
            "__name__"
        )  # pylint: disable=protected-access
        handlers = list(kwargs.pop("state_handlers", None) or [])
        if notify_code_owners_on_failure not in handlers:
            handlers.insert(0, notify_code_owners_on_failure)
        super().__init__(name, *args, state_handlers=handlers, **kwargs)

    def add_task(self, task: Task) -> Task:
        """Adds a task, with secret values masked in the state messages it reports."""
        if mask_secrets_in_task_state not in task.state_handlers:
            task.state_handlers.append(mask_secrets_in_task_state)
        return super().add_task(task)

    def reference_tasks(self) -> set:
        """Tasks whose states decide the flow run's state: every task by default.

        Prefect's default is the terminal tasks only, so a failed dump followed by a
        skipped materialization (`materialize_after_dump=False`) would end in
        Success. Here any failed task fails the run unless the flow sets its own
        reference tasks with `set_reference_tasks`.
        """
        if self._reference_tasks:
            return set(self._reference_tasks)
        return set(self.tasks)

    def copy(self) -> "Flow":
        flow_copy = super().copy()
        flow_copy.code_owners = list(self.code_owners)
        return flow_copy


def validate_code_owners(
    flow_name: str, code_owners: Iterable[str] | None
) -> list[str]:
    """Checks that a flow's owners are given and known.

    Args:
        flow_name: the flow the owners belong to, for the error message.
        code_owners: the owners as written in the flow.

    Returns:
        The owners as a list.

    Raises:
        MissingOwnersError: no owner was given.
        UnknownOwnerError: an owner is not in the owners registry.
    """
    if isinstance(code_owners, str):
        code_owners = [code_owners] if code_owners.strip() else []
    owners = list(code_owners or [])
    if not owners:
        raise MissingOwnersError(
            f"Flow {flow_name!r} has no code owners: pass "
            f"code_owners=[...] with at least one key of {OWNERS_FILE.name}."
        )
    known = load_owners()
    unknown = [owner for owner in owners if owner not in known]
    if unknown:
        raise UnknownOwnerError(
            f"Flow {flow_name!r} names unknown code owner(s) {unknown!r}; known "
            f"owners are {sorted(known)!r}. Fix the name or add the owner to "
            f"pipelines/{OWNERS_FILE.name}."
        )
    return owners
