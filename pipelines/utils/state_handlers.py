"""State handlers attached to every flow by the office's `Flow`.

`notify_code_owners_on_failure` is the hook where a failed flow run tells its owners
on the office's chat (see `pipelines.utils.notifications`).
"""

import logging
from typing import Any

import prefect
from prefect.engine.state import State

from pipelines.utils.exceptions import (
    NotificationNotSentError,
    VaultConfigurationError,
    VaultSecretError,
)


def notify_code_owners_on_failure(
    flow: Any, old_state: State, new_state: State
) -> State:
    """Tells a flow's code owners that a run failed; never changes the state.

    On a failed state, posts the flow, the failed task and its message, the run's
    link and a mention of each owner to the chat webhook kept in Vault. Whatever goes
    wrong while notifying (Vault, the webhook, the owners registry) is logged and
    swallowed, so the run keeps its original failure.

    Args:
        flow: the flow whose state changes.
        old_state: the state before.
        new_state: the state after; returned unchanged.

    Returns:
        `new_state`, always: a problem while notifying is logged, never raised.
    """
    del old_state  # Prefect's handler signature; only the new state matters
    if not new_state.is_failed():
        return new_state

    logger = _logger()
    flow_name = getattr(flow, "name", repr(flow))
    try:
        # imported here: requests and hvac load only when a run has failed
        from pipelines.utils.notifications import notify_flow_failure

        notify_flow_failure(flow, new_state)
    except VaultConfigurationError as exc:
        logger.warning("Failure notification for flow %r not sent: %s", flow_name, exc)
    except (VaultSecretError, NotificationNotSentError) as exc:
        logger.error("Failure notification for flow %r not sent: %s", flow_name, exc)
    # a notification never fails a run, whatever goes wrong in it
    except Exception:  # pylint: disable=broad-exception-caught
        logger.error(
            "Failure notification for flow %r not sent: unexpected error; the run keeps "
            "its original failure.",
            flow_name,
            exc_info=True,
        )
    return new_state


def _logger() -> logging.Logger:
    """Prefect's context logger inside a flow run (lines reach the UI), else ours."""
    if prefect.context.get("flow_run_id"):
        return prefect.context.get("logger") or logging.getLogger(__name__)
    return logging.getLogger(__name__)


def mask_secrets_in_task_state(task: Any, old_state: State, new_state: State) -> State:
    """Replaces secret values read in this process by `***` in a task's state message.

    A task that fails with a secret in its exception message would otherwise send
    it, as written, to the Prefect server (the state message shown in the UI). The
    office's `Flow` attaches this handler to every task it holds; on a Prefect
    backend the runner reports the state this handler returns.

    Args:
        task: the task whose state changes.
        old_state: the state before.
        new_state: the state after, its message masked in place.

    Returns:
        `new_state`.
    """
    del task, old_state  # Prefect's handler signature; only the new state matters
    if new_state.message and isinstance(new_state.message, str):
        from pipelines.utils.log_masking import mask_secret_values

        new_state.message = mask_secret_values(new_state.message)
    return new_state
