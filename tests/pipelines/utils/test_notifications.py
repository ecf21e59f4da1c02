"""Failure notifications to code owners, posted to a local webhook receiver.

The webhook URL is read from the real OpenBao test server; the receiver is a real
local HTTP server standing in for Discord's webhook endpoint.
"""

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import prefect
import pytest
from prefect import task
from prefect.engine.state import Failed
from prefect.utilities.configuration import set_temporary_config
from typer.testing import CliRunner

from pipelines.utils import notifications
from pipelines.utils.decorators import Flow
from pipelines.utils.notifications import (
    DISCORD_CONTENT_LIMIT,
    FlowFailure,
    build_chat_message,
    describe_flow_failure,
    find_failed_task,
)
from pipelines.utils.owners import Owner, load_owners
from pipelines.utils.state_handlers import notify_code_owners_on_failure
from pipelines_cli.app import app
from pipelines_cli.vault_commands import DevVaultServer

FLOW_RUN_ID = "0c3b2f2e-5d0a-4c1e-9a57-2f0f8f6d1a11"
UI_URL = "https://prefect.example.test"
EXAMPLE_FLOW_NAME = "EMD: escritorio - Geolocalizacao de chamados 1746"


@task
def extract() -> list[int]:
    """Returns three rows."""
    return [1, 2, 3]


@task
def transform(rows: list[int]) -> list[int]:
    """Fails as a task does when its input lacks a column."""
    raise ValueError("column 'id_bairro' is missing from the 1746 sample")


@task
def load(rows: list[int]) -> None:
    """Never runs: its upstream task failed."""


with Flow(
    "EMD: escritorio - Exemplo que falha", code_owners=["paty", "diego"]
) as failing_flow:
    load(transform(extract()))


with Flow(
    "EMD: escritorio - Exemplo que funciona", code_owners=["paty"]
) as succeeding_flow:
    extract()


@pytest.fixture
def webhook(
    vault_env: DevVaultServer,
    write_secret: Callable[..., str],
    http_receiver: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """The receiver, with its URL in the webhook secret at the default path."""
    write_secret({"url": http_receiver.url}, path="discord_webhooks/flow_failures")
    monkeypatch.setenv("PIPELINES_PREFECT_UI_URL", f"{UI_URL}/")
    return http_receiver


def _run_failing_flow(flow: Flow = failing_flow) -> prefect.engine.state.State:
    return flow.run(context={"flow_run_id": FLOW_RUN_ID})


def _messages(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == level]


def _backend_config(api_url: str) -> dict[str, Any]:
    # NOTE: no log shipping: Prefect's log thread would retry the fake API at exit
    return {"cloud.api": api_url, "cloud.send_flow_run_logs": False}


def _assert_original_failure(state: prefect.engine.state.State) -> None:
    assert state.is_failed()
    assert state.message == "Some reference tasks failed."


def test_notify_failing_flow_posts_the_exact_payload(webhook: Any) -> None:
    owners = load_owners()

    state = _run_failing_flow()

    _assert_original_failure(state)
    assert [request.path for request in webhook.requests] == [
        "/api/webhooks/1/fake-token"
    ]
    assert webhook.requests[0].json() == {
        "content": (
            ":rotating_light: **Flow run failed:** EMD: escritorio - Exemplo que falha\n"
            "**Task:** `transform`\n"
            "**Message:**\n"
            "```\n"
            "Error during execution of task: ValueError(\"column 'id_bairro' is missing "
            'from the 1746 sample")\n'
            "```\n"
            f"**Run:** {UI_URL}/default/flow-run/{FLOW_RUN_ID}\n"
            f"**Owners:** <@{owners['paty'].discord_user_id}> "
            f"<@{owners['diego'].discord_user_id}>"
        ),
        "allowed_mentions": {
            "parse": [],
            "users": [owners["paty"].discord_user_id, owners["diego"].discord_user_id],
        },
    }


def test_notify_example_project_flow_failing_through_the_cli(
    webhook: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINES_DATALAKE_ROOT", str(tmp_path / "datalake"))
    missing = tmp_path / "chamados_que_nao_existem.csv"

    result = CliRunner().invoke(app, ["run", EXAMPLE_FLOW_NAME, "-p", f"url={missing}"])

    assert result.exit_code == 1
    assert len(webhook.requests) == 1
    payload = webhook.requests[0].json()
    paty = load_owners()["paty"].discord_user_id
    assert payload["allowed_mentions"] == {"parse": [], "users": [paty]}
    lines = payload["content"].split("\n")
    assert lines[0] == f":rotating_light: **Flow run failed:** {EXAMPLE_FLOW_NAME}"
    assert lines[1] == "**Task:** `download_data_to_file`"
    assert lines[2:4] == ["**Message:**", "```"]
    assert lines[4].startswith("Error during execution of task: ")
    assert "chamados_que_nao_existem.csv" in lines[4]
    assert re.fullmatch(
        rf"\*\*Run:\*\* {UI_URL}/default/flow-run/[0-9a-f-]{{36}}", lines[6]
    )
    assert lines[7] == f"**Owners:** <@{paty}>"


def test_notify_succeeding_flow_posts_nothing(webhook: Any) -> None:
    state = succeeding_flow.run()

    assert state.is_successful()
    assert webhook.requests == []


def test_notify_webhook_answering_500_is_logged_and_run_keeps_its_failure(
    webhook: Any, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.status = 500

    state = _run_failing_flow()

    _assert_original_failure(state)
    assert len(webhook.requests) == 1
    assert any(
        "Failure notification for flow 'EMD: escritorio - Exemplo que falha' not sent: "
        "The chat webhook answered HTTP 500; expected 2xx" in message
        for message in _messages(caplog, logging.ERROR)
    )


def test_notify_webhook_never_answering_times_out(
    webhook: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.hang = True
    monkeypatch.setenv("PIPELINES_WEBHOOK_TIMEOUT_SECONDS", "0.5")
    started = time.monotonic()

    state = _run_failing_flow()

    assert time.monotonic() - started < 5.0
    _assert_original_failure(state)
    errors = _messages(caplog, logging.ERROR)
    assert any(
        "The chat webhook did not answer within 0.5 s (ReadTimeout)" in m
        for m in errors
    )
    assert not any("fake-token" in m for m in errors)


def test_notify_unknown_owner_is_named_and_logged_others_mentioned(
    webhook: Any, caplog: pytest.LogCaptureFixture
) -> None:
    flow = failing_flow.copy()
    # an owner removed from owners.toml after the flow was registered
    flow.code_owners = ["paty", "fantasma"]
    paty = load_owners()["paty"].discord_user_id

    state = _run_failing_flow(flow)

    _assert_original_failure(state)
    payload = webhook.requests[0].json()
    assert payload["content"].endswith(
        f"**Owners:** <@{paty}> `fantasma` (not in owners.toml)"
    )
    assert payload["allowed_mentions"]["users"] == [paty]
    assert any(
        "code owner 'fantasma' of flow 'EMD: escritorio - Exemplo que falha' is not in "
        "pipelines/owners.toml" in message
        for message in _messages(caplog, logging.WARNING)
    )


def test_notify_vault_stopped_mid_run_is_logged_and_run_keeps_its_failure(
    own_bao_server: DevVaultServer,
    use_vault: Callable[..., None],
    write_secret: Callable[..., str],
    http_receiver: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_secret(
        {"url": http_receiver.url},
        path="discord_webhooks/flow_failures",
        server=own_bao_server,
    )
    use_vault(own_bao_server)
    monkeypatch.setenv("VAULT_MAX_ATTEMPTS", "2")

    @task
    def stop_vault_then_fail() -> None:
        own_bao_server.stop()
        raise RuntimeError("the source went away")

    with Flow("EMD: testes - Vault cai no meio", code_owners=["paty"]) as flow:
        stop_vault_then_fail()

    state = flow.run()

    _assert_original_failure(state)
    assert http_receiver.requests == []
    assert any(
        "Failure notification for flow 'EMD: testes - Vault cai no meio' not sent: Vault at "
        f"'{own_bao_server.address}' did not answer reading secret "
        "'discord_webhooks/flow_failures' after 2 attempt(s)" in message
        for message in _messages(caplog, logging.ERROR)
    )


def test_notify_without_vault_settings_warns_and_run_keeps_its_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = _run_failing_flow()

    _assert_original_failure(state)
    assert any(
        "not sent: Cannot read secret 'discord_webhooks/flow_failures': VAULT_ADDRESS is not set"
        in message
        for message in _messages(caplog, logging.WARNING)
    )


def test_notify_webhook_secret_without_url_key_lists_its_keys(
    vault_env: DevVaultServer,
    write_secret: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_secret({"webhook": "http://127.0.0.1:1/x"})
    monkeypatch.setenv("PIPELINES_DISCORD_WEBHOOK_SECRET_PATH", path)

    state = _run_failing_flow()

    _assert_original_failure(state)
    assert any(
        f"Secret {path!r} has no key 'url'; its keys are ['webhook']" in message
        for message in _messages(caplog, logging.ERROR)
    )


def test_notify_webhook_secret_not_a_url_is_logged_without_its_value(
    vault_env: DevVaultServer,
    write_secret: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_secret({"url": "discord-webhook-typo-value"})
    monkeypatch.setenv("PIPELINES_DISCORD_WEBHOOK_SECRET_PATH", path)

    state = _run_failing_flow()

    _assert_original_failure(state)
    errors = _messages(caplog, logging.ERROR)
    assert any(
        f"The 'url' key of secret {path!r} is not an http(s) URL" in m for m in errors
    )
    assert "discord-webhook-typo-value" not in caplog.text


def test_notify_unexpected_error_is_logged_with_traceback_never_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(flow: Any, state: Any) -> None:
        raise RuntimeError("a bug in the notifier")

    monkeypatch.setattr(notifications, "notify_flow_failure", broken)
    failed = Failed("Some reference tasks failed.")

    returned = notify_code_owners_on_failure(
        failing_flow, prefect.engine.state.Running(), failed
    )

    assert returned is failed
    record = next(r for r in caplog.records if "unexpected error" in r.getMessage())
    assert record.exc_info is not None


def test_find_failed_task_names_the_failing_mapped_child() -> None:
    @task
    def invert(value: int) -> float:
        return 1 / value

    with Flow("EMD: testes - Mapa", code_owners=["paty"]) as flow:
        invert.map([1, 0, 2])

    state = flow.run()

    name, message = find_failed_task(flow, state)
    assert name == "invert[1]"
    assert "ZeroDivisionError" in message


def test_find_failed_task_returns_none_without_task_states() -> None:
    assert find_failed_task(failing_flow, Failed("boom", result={})) is None


def test_describe_flow_failure_asks_the_prefect_api_on_a_backend_run(
    http_receiver: Any,
) -> None:
    """The receiver stands in for the Prefect server's GraphQL API (a Prefect Server
    needs Docker and Hasura, which these machines lack)."""
    http_receiver.status = 200
    http_receiver.response_body = {
        "data": {
            "task_run": [
                {
                    "map_index": 2,
                    "state_message": "Error: boom",
                    "task": {"name": "transform"},
                }
            ]
        }
    }

    with (
        set_temporary_config(_backend_config(http_receiver.url)),
        prefect.context(flow_run_id=FLOW_RUN_ID, running_with_backend=True),
    ):
        failure = describe_flow_failure(
            failing_flow, Failed("Some reference tasks failed.", result={})
        )

    assert (failure.task_name, failure.message) == ("transform[2]", "Error: boom")
    request = http_receiver.requests[0].json()
    assert request["variables"] == {"flow_run_id": FLOW_RUN_ID}
    assert "task_run" in request["query"]


def test_describe_flow_failure_backend_api_down_keeps_the_flow_message(
    closed_port_address: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        set_temporary_config(_backend_config(closed_port_address)),
        prefect.context(flow_run_id=FLOW_RUN_ID, running_with_backend=True),
    ):
        failure = describe_flow_failure(
            failing_flow, Failed("Some reference tasks failed.", result={})
        )

    assert (failure.task_name, failure.message) == (
        None,
        "Some reference tasks failed.",
    )
    assert any(
        "could not ask the Prefect API" in r.getMessage() for r in caplog.records
    )


def test_build_chat_message_truncates_to_discord_limit() -> None:
    failure = FlowFailure(
        "EMD: x - y", "transform", "x" * 5000, f"{UI_URL}/flow-run/1", ("paty",)
    )

    content = build_chat_message(failure).payload["content"]

    assert len(content) <= DISCORD_CONTENT_LIMIT
    assert "x…\n```" in content


def test_build_chat_message_owner_without_discord_id_is_named_not_mentioned() -> None:
    owners = {"ana": Owner(key="ana", name="Ana", discord_user_id="", github="ana")}
    failure = FlowFailure("EMD: x - y", None, "boom", None, ("ana",))

    message = build_chat_message(failure, owners)

    assert message.payload["content"].endswith("**Owners:** Ana (no Discord id)")
    assert "**Task:** unknown" in message.payload["content"]
    assert "**Run:** no flow run id" in message.payload["content"]
    assert message.payload["allowed_mentions"]["users"] == []
    assert message.problems == [
        "code owner 'ana' has discord_user_id '' in pipelines/owners.toml; expected "
        "the numeric Discord user id"
    ]
