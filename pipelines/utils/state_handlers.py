"""State handlers attached to every flow by the office's `Flow`.

`notify_code_owners_on_failure` is the hook where a failed flow run tells its owners.
"""

from typing import Any

import prefect
from prefect.engine.state import State


def notify_code_owners_on_failure(flow: Any, old_state: State, new_state: State) -> State:
    """Tells a flow's code owners that a run failed; never changes the state.

    Args:
        flow: the flow whose state changes.
        old_state: the state before.
        new_state: the state after; returned unchanged.

    Returns:
        `new_state`, always: a problem while notifying is logged, never raised.
    """
    if new_state.is_failed():
        owners = getattr(flow, "code_owners", [])
        logger = prefect.context.get("logger")
        if logger is not None:
            logger.error(
                "Flow %r failed; code owners %r: %s", flow.name, owners, new_state.message
            )
    return new_state
