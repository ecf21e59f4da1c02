"""The office's Flow: code owners required, known, and kept by copies."""

from copy import deepcopy

import pytest
from prefect import task

from pipelines.utils.decorators import Flow
from pipelines.utils.exceptions import MissingOwnersError, UnknownOwnerError
from pipelines.utils.log_masking import forget_secret_values, register_secret_values
from pipelines.utils.state_handlers import notify_code_owners_on_failure


def test_flow_keeps_code_owners_and_attaches_failure_hook() -> None:
    with Flow("EMD: teste - donos", code_owners=["paty", "diego"]) as flow:
        pass
    assert flow.code_owners == ["paty", "diego"]
    assert flow.state_handlers[0] is notify_code_owners_on_failure


def test_flow_keeps_state_handlers_given_after_the_hook() -> None:
    def mine(flow, old, new):  # noqa: ANN001, ANN202
        return new

    flow = Flow("EMD: teste - handlers", code_owners=["paty"], state_handlers=[mine])
    assert flow.state_handlers == [notify_code_owners_on_failure, mine]


@pytest.mark.parametrize("owners", [None, [], ""])
def test_flow_without_owners_is_refused(owners) -> None:  # noqa: ANN001
    with pytest.raises(
        MissingOwnersError, match="'EMD: teste - sem dono' has no code owners"
    ):
        Flow("EMD: teste - sem dono", code_owners=owners)


def test_flow_with_unknown_owner_names_it_and_the_known_ones() -> None:
    with pytest.raises(
        UnknownOwnerError, match=r"unknown code owner\(s\) \['patty'\].*'paty'"
    ):
        Flow("EMD: teste - dono errado", code_owners=["paty", "patty"])


@pytest.mark.parametrize("copy", [deepcopy, Flow.copy])
def test_flow_copies_keep_code_owners(copy) -> None:  # noqa: ANN001
    flow = Flow("EMD: teste - copia", code_owners=["gabriel"])
    assert copy(flow).code_owners == ["gabriel"]


def test_flow_masks_secret_values_in_a_failed_task_state_message() -> None:
    """The state message is what a Prefect backend receives for a failed task."""
    secret = "canary-secret-4f9d2c71"  # pragma: allowlist secret  # a fake canary
    register_secret_values([secret])

    @task
    def leak() -> None:
        raise RuntimeError(f"login failed with password {secret}")

    with Flow("EMD: teste - mascara", code_owners=["paty"]) as flow:
        leaked = leak()
    try:
        state = flow.run(run_on_schedule=False)
    finally:
        forget_secret_values()
    message = state.result[leaked].message
    assert "login failed with password ***" in message
    assert secret not in message
